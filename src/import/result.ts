// src/import/result.ts — what an importer (keepalived.ts, ipvsadm.ts) produces: an xvs config
// document and the notes on everything it could not carry over exactly, each with its place;
// written as a config file whose header lists the notes (so they travel with the file), then
// checked by xvs's own loader so that what is printed is a config `xvs check` accepts, or the
// problems are said. CLI thread.
import YAML from 'yaml';

import { parseConfigText } from '../config/load.js';
import { ConfigError, formatProblem } from '../config/types.js';

export type ConfigDocument = Record<string, unknown> & { services: Record<string, unknown>[] };

/** The input cannot become a config at all (no interface to name, ...): one line for the user. */
export class ImportError extends Error {}

export class ImportNotes {
  readonly lines: string[] = [];

  /** `where`: file:line (or line N of the rules); `text`: what was not imported, or changed, and why. */
  add(where: string, text: string): void {
    this.lines.push(`${where}: ${text}`);
  }
}

export interface ImportResult {
  doc: ConfigDocument;
  notes: string[];
}

/** The config file: a header naming the source and every note, then the document (one line per server). */
export function importedText(result: ImportResult, source: string): string {
  const doc = new YAML.Document(result.doc);
  result.doc.services.forEach((_, i) => {
    const servers = doc.getIn(['services', i, 'servers']);
    if (YAML.isSeq(servers)) for (const server of servers.items) if (YAML.isMap(server) && !server.has('health_check')) server.flow = true;
  });
  const header = [
    `xvs configuration imported from ${source} by xvs import.`,
    ...(result.notes.length
      ? ['Not imported as it was (check each before going live):', ...result.notes.map((n) => `  ${n}`)]
      : ['Everything was imported.']),
  ];
  return `${header.map((l) => `# ${l}`.trimEnd()).join('\n')}\n${doc.toString({ lineWidth: 0 })}`;
}

/** Problems xvs's loader finds in the imported text (none: it is a valid config). */
export function importProblems(text: string): string[] {
  try {
    parseConfigText(text, 'imported');
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map(formatProblem);
    throw err;
  }
}

/** 255.255.255.0 → 24; undefined for a mask that is not a prefix. */
export function prefixOfMask(mask: string): number | undefined {
  const parts = mask.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return undefined;
  const bits = parts.reduce((n, p) => n * 256 + p, 0);
  for (let prefix = 0; prefix <= 32; prefix++) if (bits === (prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0)) return prefix;
  return undefined;
}

export const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

/** A service name from its key, as xvs names must be: tcp-203.0.113.10-80, tcp-2001_db8__10-80 (no colons in names). */
export function serviceName(protocol: string, vip: string, port: number): string {
  return `${protocol}-${vip.replaceAll(':', '_')}-${port}`;
}
