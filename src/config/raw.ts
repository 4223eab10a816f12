// Shared vocabulary of the checking stages: a Finding is a problem before it has a file position
// (a path into the parsed document plus a message); guards read the untyped parsed document
// safely. Consumed by schema-messages.ts, validate*.ts, positions.ts and load.ts. Pure; runs on
// the config-loading thread.

export type Segment = string | number;

/**
 * Where a Finding points: `value` the node at `path`; `key` the key of the last segment (unknown
 * or misplaced fields); `parent` the mapping holding the last segment (missing fields).
 */
export type Anchor = 'value' | 'key' | 'parent';

export interface Finding {
  path: Segment[];
  message: string;
  at?: Anchor;
}

export type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function has(o: Obj, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, key);
}

export function isInt(v: unknown, min: number, max: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
}

/**
 * The value of an enum-like field: the default when absent, the value when it is one of
 * `allowed`, undefined when malformed or absent without default (the schema already reported
 * it, so the checks that depend on it skip rather than pile a second message on one mistake).
 */
export function choice<T extends string>(o: Obj, key: string, allowed: readonly T[], dflt?: T): T | undefined {
  if (!has(o, key)) return dflt;
  const v = o[key];
  return typeof v === 'string' && (allowed as readonly string[]).includes(v) ? (v as T) : undefined;
}

/** Like choice() for integer fields. */
export function intOr(o: Obj, key: string, min: number, max: number, dflt: number): number | undefined {
  if (!has(o, key)) return dflt;
  const v = o[key];
  return isInt(v, min, max) ? v : undefined;
}

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `services[0].servers[1].port`; keys that are not identifiers are quoted: `pools["a.b"]`. */
export function formatPath(path: readonly Segment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (PLAIN_KEY.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/**
 * Values that YAML tags such as `!!binary` or `!!set` turn into Buffers, Sets or Maps: nothing in
 * the config takes them, and the schema would describe their methods as unknown fields.
 */
export function exoticValues(doc: unknown, path: Segment[] = []): Finding[] {
  if (Array.isArray(doc)) return doc.flatMap((v, i) => exoticValues(v, [...path, i]));
  if (typeof doc !== 'object' || doc === null) return [];
  const proto = Object.getPrototypeOf(doc) as object | null;
  if (proto === Object.prototype || proto === null) {
    return Object.entries(doc).flatMap(([k, v]) => exoticValues(v, [...path, k]));
  }
  const kind = (doc as { constructor?: { name?: string } }).constructor?.name ?? 'object';
  return [{ path, message: `must be plain YAML data: a mapping, list, string, number or boolean (got a ${kind}; drop the !! tag)` }];
}
