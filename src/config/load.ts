// Config loader (DESIGN §5): file or text → YAML/JSON parse → schema → semantic checks → typed,
// normalised Config. Consumes a path or text; produces Config, or throws ConfigError carrying
// every problem with file, line, column and field path. Synchronous and pure apart from reading
// the file, so any thread may call it: the main thread (`xvs check`, `xvs run` at start) and a
// short-lived worker thread for reloads (load-off-thread.ts).

import { readFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { isScalar, LineCounter, parseDocument, visit, type Node, type YAMLError } from 'yaml';
import { Locator } from './positions.js';
import { exoticValues, formatPath, isObj, type Finding } from './raw.js';
import { normalise } from './normalise.js';
import { schemaErrors } from './schema.js';
import { schemaFindings } from './schema-messages.js';
import { ConfigError, type Config, type ConfigProblem } from './types.js';
import { validateSemantics } from './validate.js';

/** Reads and validates a config file; `.json` is held to strict JSON, anything else is YAML. */
export function loadConfigFile(path: string): Config {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new ConfigError([{ file: path, line: 0, column: 0, path: '', message: `cannot read the config file: ${reason}` }]);
  }
  return parseText(text, path, resolve(path));
}

/** Validates config text; `file` names it in problems and picks JSON when it ends in `.json`. */
export function parseConfigText(text: string, file: string): Config {
  return parseText(text, file, file);
}

function parseText(text: string, file: string, source: string): Config {
  const { problems, doc } = check(text.replace(/^\uFEFF/, ''), file);
  if (problems.length > 0) throw new ConfigError(problems);
  return normalise(doc as Record<string, unknown>, source);
}

function check(text: string, file: string): { problems: ConfigProblem[]; doc: unknown } {
  const lines = new LineCounter();
  // merge: `<<: *defaults` is how operators share health checks between services.
  const yamlDoc = parseDocument(text, { lineCounter: lines, prettyErrors: false, merge: true, uniqueKeys: true });
  const at = (offset: number): { line: number; column: number } => {
    const { line, col } = lines.linePos(offset);
    return { line, column: col };
  };
  const syntax = yamlDoc.errors.map((e) => ({ file, path: '', ...at(e.pos[0]), message: yamlMessage(e, text) }));
  if (extname(file).toLowerCase() === '.json') {
    // JSON.parse has the authoritative message for a .json file; YAML's position is the fallback
    // because V8 does not always say where it stopped.
    const firstYaml = yamlDoc.errors[0];
    const bad = jsonProblem(text, file, at, firstYaml ? at(firstYaml.pos[0]) : undefined);
    if (bad) return { problems: [bad], doc: undefined };
  }
  // Past a syntax error the tree is a guess, and checking it would bury the real mistake under
  // invented ones; a repeated key leaves a sound tree, so checking goes on.
  if (yamlDoc.errors.some((e) => e.code !== 'DUPLICATE_KEY')) return { problems: syntax, doc: undefined };

  // A list or mapping as a key ("{ a: 1 }: x", a stray brace) would become a made-up name of
  // several lines: refuse it where it stands.
  const badKeys: ConfigProblem[] = [];
  visit(yamlDoc, {
    Pair(_, pair) {
      // A tagged scalar (!!binary, !!timestamp) is an object in JavaScript, no name either.
      if (pair.key === null || (isScalar(pair.key) && (typeof pair.key.value !== 'object' || pair.key.value === null))) return;
      const where = at((pair.key as Node).range?.[0] ?? 0);
      badKeys.push({ file, path: '', ...where, message: 'a key must be a name, not a list, mapping, alias or tagged value (a stray "{", "[" or "!!" where a name belongs?)' });
    },
  });
  if (badKeys.length > 0) return { problems: [...syntax, ...badKeys], doc: undefined };

  let doc: unknown;
  try {
    doc = yamlDoc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    const message = `cannot expand the document: ${err instanceof Error ? err.message : String(err)}`;
    return { problems: [...syntax, { file, path: '', line: 1, column: 1, message }], doc: undefined };
  }
  const empty = doc === null || doc === undefined;
  if (empty || !isObj(doc)) {
    const got = empty ? 'an empty document' : Array.isArray(doc) ? 'a list' : 'a single value';
    const message = `the config must be a mapping with at least a dataplane section (got ${got})`;
    const where = empty ? { line: 1, column: 1 } : at(yamlDoc.contents?.range?.[0] ?? 0);
    return { problems: [...syntax, { file, path: '', ...where, message }], doc };
  }

  const exotic = exoticValues(doc);
  const findings: Finding[] = exotic.length
    ? exotic
    : [...schemaFindings(schemaErrors(doc), doc), ...validateSemantics(doc)];
  const locator = new Locator(yamlDoc, lines);
  const problems = [
    ...syntax,
    ...findings.map((f) => ({ file, path: formatPath(f.path), ...locator.locate(f.path, f.at), message: f.message })),
  ];
  // File order reads best; the sort is stable, so one node's problems keep their check order.
  problems.sort((a, b) => a.line - b.line || a.column - b.column);
  return { problems, doc };
}

function yamlMessage(e: YAMLError, text: string): string {
  if (e.code === 'DUPLICATE_KEY') {
    const key = /^("(?:[^"\\]|\\.)*"|'[^']*'|[^\s:,{}[\]]+)/.exec(text.slice(e.pos[0]))?.[1] ?? '';
    const name = key.startsWith('"') || key.startsWith("'") ? key.slice(1, -1) : key;
    return `field "${name}" appears twice in one mapping: give each field once`;
  }
  if (e.code === 'MULTIPLE_DOCS') return 'the file holds more than one YAML document (---): xvs reads exactly one';
  return `YAML syntax error: ${e.message}`;
}

/** YAML accepts what JSON does not (comments, trailing commas, bare words); a .json file may not. */
function jsonProblem(
  text: string,
  file: string,
  at: (offset: number) => { line: number; column: number },
  fallback: { line: number; column: number } | undefined,
): ConfigProblem | undefined {
  try {
    JSON.parse(text);
    return undefined;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const offset = /at position (\d+)/.exec(message)?.[1];
    const where = offset !== undefined ? at(Number(offset)) : (fallback ?? { line: 0, column: 0 });
    return { file, path: '', ...where, message: `not valid JSON: ${message}` };
  }
}
