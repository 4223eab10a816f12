// src/version.ts — xvs's version, from its own package.json (the CLI's --version, the API
// client's User-Agent). Read once, on first use; any thread.
import fs from 'node:fs';

let cached: string | undefined;

export function xvsVersion(): string {
  cached ??= (JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  return cached;
}
