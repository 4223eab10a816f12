// src/cli/commands/check.ts — `xvs check --config FILE`: validate only. Exit 0 with a one-line
// summary and the config's warnings (config/warnings.ts, and config/host-warnings.ts about this
// host), or 1 with every problem, one per line
// (file:line:column: path: message).
import { readApiToken } from '../../api/token.js';
import { loadConfigFile } from '../../config/load.js';
import { portKey } from '../../control/worker/port-key.js';
import { hostWarnings } from '../../config/host-warnings.js';
import { configWarnings } from '../../config/warnings.js';
import { ConfigError } from '../../config/types.js';
import type { CliCommand } from '../command.js';
import { CliError } from '../errors.js';

interface CheckArgs {
  config: string;
}

export const checkCommand: CliCommand<CheckArgs> = {
  command: 'check',
  describe: 'Validate a configuration file and list every problem',
  builder: (y) =>
    y.option('config', { alias: 'f', type: 'string', demandOption: true, describe: 'YAML or JSON config file' }) as never,
  handler: async ({ config }) => {
    try {
      const loaded = loadConfigFile(config);
      // The files the config names, as xvs run will read them.
      if (loaded.api.token_file !== undefined) readApiToken(loaded.api.token_file);
      if (loaded.dataplane.port_key_file !== undefined) portKey(loaded);
      const servers = loaded.services.reduce((n, s) => n + s.servers.length, 0);
      process.stdout.write(`${config}: ok (${loaded.services.length} services, ${servers} servers)\n`);
      for (const warning of [...configWarnings(loaded), ...hostWarnings(loaded)]) process.stdout.write(`${config}: warning: ${warning}\n`);
    } catch (err) {
      if (err instanceof ConfigError) throw new CliError(err.message);
      if (err instanceof Error && /^(api\.token_file|dataplane\.port_key_file): /.test(err.message)) throw new CliError(`${config}: ${err.message}`);
      throw err;
    }
  },
};
