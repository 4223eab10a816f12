// Turns ajv's schema errors into operator-facing Findings: one per real mistake, each saying what
// is allowed and what was found ("must be an integer from 1 to 65535 (got 70000)", "unknown
// field "prot" (allowed: ...); did you mean "protocol"?"). Consumes ajv ErrorObjects (verbose) and
// the parsed document; produces Findings for load.ts to position. Runs on the config-loading thread.

import type { ErrorObject } from 'ajv';
import { DURATION_FORMS, parseDuration } from './duration.js';
import { quote } from './address.js';
import { formatPath, type Finding, type Segment } from './raw.js';
import type { SchemaNode } from './schema-definition.js';

/** A long span in words: "about 34 years", "about 24 days". */
function roughly(seconds: number): string {
  const days = seconds / 86_400;
  return days >= 365 ? `about ${Math.floor(days / 365)} years` : `about ${Math.floor(days)} days`;
}

/** "must be <describe(schema)>": what a value under `schema` may be. */
export function describe(s: SchemaNode): string {
  if (s.xvsExpect) return s.xvsExpect;
  if (s.xvsDuration) return `a duration greater than 0 and at most ${s.xvsDuration} seconds: ${DURATION_FORMS}`;
  if (s.enum) return `one of ${s.enum.join(', ')}`;
  switch (s.type) {
    case 'integer':
    case 'number': {
      const noun = s.type === 'integer' ? 'an integer' : 'a number';
      if (s.minimum !== undefined && s.maximum !== undefined) return `${noun} from ${s.minimum} to ${s.maximum}`;
      if (s.minimum === 0) return `a non-negative ${s.type}`;
      if (s.minimum !== undefined) return `${noun} of at least ${s.minimum}`;
      return noun;
    }
    case 'string':
      return s.minLength ? 'a non-empty string' : 'a string';
    case 'boolean':
      return 'true or false';
    case 'object':
      return 'a mapping';
    case 'array':
      return 'a list';
    default:
      return 'a valid value';
  }
}

/** How a found value reads inside "(got ...)". */
export function show(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (typeof v === 'string') return quote(v);
  if (Array.isArray(v)) return v.length === 0 ? 'an empty list' : `a list of ${v.length} item${v.length === 1 ? '' : 's'}`;
  if (typeof v === 'object') return 'a mapping';
  return String(v);
}

/** Edit distance counting a swap of neighbours as one edit: "wieght" is one typo from "weight". */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number): number => d[i]?.[j] ?? Infinity;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, at(i - 2, j - 2) + 1);
      (d[i] as number[])[j] = best;
    }
  }
  return at(a.length, b.length);
}

/** The allowed name a typo most likely meant, if one is close enough to be worth suggesting. */
export function suggest(name: string, allowed: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  let best: string | undefined;
  let bestScore = Infinity;
  for (const a of allowed) {
    const score = lower.length >= 3 && a.startsWith(lower) ? 0.5 : editDistance(lower, a);
    if (score < bestScore) [best, bestScore] = [a, score];
  }
  return bestScore <= Math.max(1, Math.floor(name.length / 4)) ? best : undefined;
}

/** JSON-pointer instance path → segments, with array indices as numbers. */
function segmentsOf(pointer: string, doc: unknown): Segment[] {
  const out: Segment[] = [];
  let node = doc;
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const seg: Segment = Array.isArray(node) ? Number(key) : key;
    out.push(seg);
    node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[String(seg)] : undefined;
  }
  return out;
}

function translate(e: ErrorObject, doc: unknown): Finding {
  const path = segmentsOf(e.instancePath, doc);
  const parent = (e.parentSchema ?? {}) as SchemaNode;
  if (e.keyword === 'required') {
    const field = String((e.params as { missingProperty: string }).missingProperty);
    const child = parent.properties?.[field];
    const what = child ? ` (${describe(child)})` : '';
    return { path: [...path, field], at: 'parent', message: `missing required field "${field}"${what}` };
  }
  if (e.keyword === 'additionalProperties') {
    const field = String((e.params as { additionalProperty: string }).additionalProperty);
    const allowed = Object.keys(parent.properties ?? {});
    const guess = suggest(field, allowed);
    const hint = guess ? `; did you mean "${guess}"?` : '';
    const where = path.length ? '' : ' at the top level';
    return {
      path: [...path, field],
      at: 'key',
      message: `unknown field "${field}"${where} (allowed: ${allowed.join(', ')})${hint}`,
    };
  }
  if (e.keyword === 'xvsDuration') {
    const seconds = parseDuration(e.data);
    const max = parent.xvsDuration ?? Infinity;
    const message =
      seconds === undefined
        ? `must be a duration: ${DURATION_FORMS} (got ${show(e.data)})`
        : seconds > max
          ? `must be at most ${max} seconds (${roughly(max)}) (got ${show(e.data)})`
          : `must be a duration greater than 0 (got ${show(e.data)})`;
    return { path, message };
  }
  return { path, message: `must be ${describe(parent)} (got ${show(e.data)})` };
}

/**
 * One Finding per mistake. Every keyword failing at one value (type and range, say) describes the
 * same schema, so the first one per value is kept; missing and unknown fields are one per field.
 */
export function schemaFindings(errors: readonly ErrorObject[], doc: unknown): Finding[] {
  const seen = new Set<string>();
  const out: Finding[] = [];
  for (const e of errors) {
    const f = translate(e, doc);
    const key = `${f.at ?? 'value'} ${formatPath(f.path)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(f);
  }
  return out;
}
