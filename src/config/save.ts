// src/config/save.ts — a Config written back as a config file (`xvs save`): every field as the
// loader filled it (defaults included, durations in seconds), so that loading the text gives the
// same Config again — the round trip `xvs save` promises (ipvsadm -S / -R). Consumes a Config;
// produces YAML text. Pure; runs on the CLI's main thread.
import YAML from 'yaml';

import type { Config } from './types.js';

/** The document of `config` (everything but where it was read from). */
export function configDocument(config: Config): Omit<Config, 'source'> {
  const { source: _source, ...document } = config;
  return document;
}

/** `config` as YAML the loader reads back into the same Config, after a comment header. */
export function savedConfigText(config: Config, header: readonly string[] = []): string {
  const doc = new YAML.Document(configDocument(config));
  // One line per server, as people write them: a table of 1 000 servers stays readable.
  config.services.forEach((_, i) => {
    const servers = doc.getIn(['services', i, 'servers']);
    if (YAML.isSeq(servers)) for (const server of servers.items) if (YAML.isMap(server)) server.flow = true;
  });
  const comment = header.map((line) => `# ${line}\n`).join('');
  return comment + doc.toString({ lineWidth: 0 });
}
