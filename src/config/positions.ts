// Maps a Finding's path to a 1-based line and column in the source text, using the YAML node
// tree (yaml's Document with a LineCounter). Consumes the parsed Document and Findings; produces
// positions for ConfigProblems. Runs on the config-loading thread.

import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import type { Anchor, Segment } from './raw.js';

export interface Position {
  line: number;
  column: number;
}

interface Step {
  node: Node | null; // the value
  key: Node | null; // its key, for mapping entries
}

export class Locator {
  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  /**
   * Position of `path` per `at`. When the path leaves the node tree (a key brought in by a
   * merge `<<`, say) the deepest node that exists is used: near the mistake beats no position.
   */
  locate(path: readonly Segment[], at: Anchor = 'value'): Position {
    const steps = this.walk(at === 'parent' ? path.slice(0, -1) : path);
    const last = steps[steps.length - 1];
    let target: Node | null = null;
    if (last && steps.length === (at === 'parent' ? path.length : path.length + 1)) {
      // An empty value (`port:`) has its range at the end of the line: the key reads better.
      const emptyValue = isScalar(last.node) && last.node.source === '' && last.node.value === null;
      target = at === 'key' || emptyValue ? (last.key ?? last.node) : last.node;
    }
    for (let i = steps.length - 1; target === null && i >= 0; i--) target = steps[i]?.node ?? steps[i]?.key ?? null;
    const offset = target?.range?.[0];
    if (offset === undefined) return { line: 1, column: 1 };
    const { line, col } = this.lines.linePos(offset);
    return { line, column: col };
  }

  /** Nodes along `path` from the document root; shorter than path + 1 when a step is missing. */
  private walk(path: readonly Segment[]): Step[] {
    const steps: Step[] = [{ node: (this.doc.contents as Node | null) ?? null, key: null }];
    let node = steps[0]?.node ?? null;
    for (const seg of path) {
      if (isAlias(node)) node = (node.resolve(this.doc) as Node | undefined) ?? null;
      let next: Step | undefined;
      if (isMap(node)) {
        // The last of repeated keys, because that is the value toJS() keeps and the checks saw.
        for (let k = node.items.length - 1; k >= 0 && !next; k--) {
          const pair = node.items[k];
          if (pair && isScalar(pair.key) && String(pair.key.value) === String(seg)) {
            next = { node: (pair.value as Node | null) ?? null, key: pair.key as Node };
          }
        }
      } else if (isSeq(node) && typeof seg === 'number') {
        const item = node.items[seg];
        if (item !== undefined) next = { node: item as Node, key: null };
      }
      if (!next) break;
      steps.push(next);
      node = next.node;
    }
    return steps;
  }
}
