// src/cli/command.ts — the shape of one CLI command module (one file each under commands/),
// registered in commands/index.ts. Main thread.
import type { Argv } from 'yargs';

export interface CliCommand<A = Record<string, unknown>> {
  command: string;
  describe: string;
  builder: (yargs: Argv) => Argv<A>;
  handler: (args: A) => Promise<void>;
}
