// src/cli/commands/save.ts — `xvs save [--json]`: the running configuration of an instance (GET
// /config: the file with runtime weights in place, defaults filled in) as a config file on
// stdout, which `xvs check` and `xvs run --config` read back to the same configuration — the
// round trip of ipvsadm -S / -R. Health state is not saved. Main thread.
import { savedConfigText } from '../../config/save.js';
import type { Config } from '../../config/types.js';
import { apiTarget, callApi, withApiOptions, type ApiArgs } from '../api-client.js';
import type { CliCommand } from '../command.js';

interface SaveArgs extends ApiArgs {
  json: boolean;
}

export const saveCommand: CliCommand<SaveArgs> = {
  command: 'save',
  describe: 'Print the running configuration (runtime weights included) as a config file',
  builder: (y) => withApiOptions(y.option('json', { type: 'boolean', default: false, describe: 'one JSON document instead of YAML' })) as never,
  handler: async (args) => {
    const target = apiTarget(args);
    const { source, config } = await callApi<{ source: string; config: Omit<Config, 'source'> }>(target, 'GET', '/config');
    if (args.json) {
      process.stdout.write(`${JSON.stringify(config)}\n`);
      return;
    }
    const header = [`xvs save from ${target.address} at ${new Date().toISOString()}`, `the running configuration: ${source} with its runtime weights`];
    process.stdout.write(savedConfigText({ source, ...config }, header));
  },
};
