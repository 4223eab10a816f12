// src/cli/port-names.ts — port numbers as service names from /etc/services ("80/tcp" → http),
// for `xvs list` without -n. Addresses are never reverse-resolved: a listing taken during an
// incident must not wait on DNS, and the file lookup is local and instant. Main thread.
import fs from 'node:fs';

let table: Map<string, string> | undefined;

function load(file: string): Map<string, string> {
  const out = new Map<string, string>();
  let text = '';
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return out; // no /etc/services: every port stays numeric
  }
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z0-9][\w.+-]*)\s+(\d+)\/(tcp|udp)\b/.exec(line);
    // The first name listed for a port is its canonical one, as getservbyport(3) answers.
    if (m && !out.has(`${m[2]}/${m[3]}`)) out.set(`${m[2]}/${m[3]}`, m[1]!);
  }
  return out;
}

export function portName(port: number, protocol: 'tcp' | 'udp', file = '/etc/services'): string {
  table ??= load(file);
  return table.get(`${port}/${protocol}`) ?? String(port);
}
