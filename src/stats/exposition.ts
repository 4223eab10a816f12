// src/stats/exposition.ts — a writer of the Prometheus text format (version 0.0.4): families
// with their HELP and TYPE, samples with pre-escaped label sets, each family's samples together
// as the format requires. metrics.ts writes xvs's families with it straight from a status
// document: prom-client keeps a labelled child per series and hashes every label set on each
// set() and again at render, microseconds per series, which at 20 000 servers (200 000 series)
// made a scrape take seconds; here a server's label set is escaped once and reused by every
// family, and samples are written piece by piece into one growing buffer (no string per line
// to build, join and collect). prom-client still renders the process metrics (metrics.ts).
// Pure; main thread.

export type MetricType = 'counter' | 'gauge';

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

const NEEDS_ESCAPE = /[\\\n"]/;

function escapeLabelValue(value: string): string {
  if (!NEEDS_ESCAPE.test(value)) return value;
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

const checkedLabelNames = new Set<string>();

/** `{a="1",b="x"}` (empty for no labels), values escaped; join two with joinLabels. */
export function labelSet(labels: Readonly<Record<string, string | number>>): string {
  let out = '';
  for (const name in labels) {
    if (!checkedLabelNames.has(name)) {
      if (!LABEL.test(name)) throw new Error(`metrics: invalid label name ${JSON.stringify(name)}`);
      checkedLabelNames.add(name);
    }
    const value = labels[name]!;
    out += `${out ? ',' : '{'}${name}="${typeof value === 'number' ? value : escapeLabelValue(value)}"`;
  }
  return out ? `${out}}` : '';
}

/** One label set extended by another: labelSet(a) and labelSet(b) as labelSet({...a, ...b}) with distinct names. */
export function joinLabels(a: string, b: string): string {
  if (!a) return b;
  if (!b) return a;
  return `${a.slice(0, -1)},${b.slice(1)}`;
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

export class Exposition {
  private buffer: Buffer;
  private length = 0;
  private readonly families = new Set<string>();
  private current = '';

  /** `capacity`: the bytes expected (the last exposition's size saves growing it step by step). */
  constructor(capacity = 1 << 16) {
    this.buffer = Buffer.allocUnsafe(Math.max(capacity, 1 << 16));
  }

  /** Starts a family: its samples follow until the next family(). A name may appear once. */
  family(name: string, type: MetricType, help: string): this {
    if (!NAME.test(name)) throw new Error(`metrics: invalid metric name ${JSON.stringify(name)}`);
    if (this.families.has(name)) throw new Error(`metrics: family ${name} written twice`);
    this.families.add(name);
    this.current = name;
    this.write(`# HELP ${name} ${escapeHelp(help)}\n# TYPE ${name} ${type}\n`);
    return this;
  }

  /** A sample of the current family; `labels` from labelSet(). */
  sample(labels: string, value: number): this {
    this.write(`${this.current}${labels} ${formatValue(value)}\n`);
    return this;
  }

  /** Text the caller already has in the format (prom-client's registry), appended as it is. */
  raw(text: string): this {
    this.write(text);
    if (text !== '' && !text.endsWith('\n')) this.byte(0x0a);
    return this;
  }

  /** The exposition so far (a view of the writer's buffer: take it last). */
  bytes(): Buffer {
    return this.buffer.subarray(0, this.length);
  }

  text(): string {
    return this.bytes().toString('utf8');
  }

  private write(text: string): void {
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    this.reserve(text.length * 3);
    this.length += this.buffer.write(text, this.length, 'utf8');
  }

  private byte(b: number): void {
    this.reserve(1);
    this.buffer[this.length++] = b;
  }

  private reserve(bytes: number): void {
    if (this.length + bytes <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.length + bytes));
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }
}
