// src/cli/parser.ts — the `xvs` command line as one yargs parser: global options and every
// command of the registry (commands/index.ts). main.ts runs it; scripts/build-man.mjs reads its
// help texts to write the man page, so that both come from the same definitions. Main thread.
import yargs, { type Argv } from 'yargs';

import { xvsVersion } from '../version.js';
import { commands } from './commands/index.js';

export class UsageError extends Error {}

export function buildParser(argv: string[], wrap?: number | null): Argv {
  let parser = yargs(argv)
    .scriptName('xvs')
    .strict()
    .demandCommand(1, 'name a command (see xvs --help)')
    .recommendCommands()
    .help()
    .alias('h', 'help')
    // xvs's own version, not whatever package.json yargs would find first.
    .version(`xvs ${xvsVersion()}`)
    .completion('completion', 'print a bash/zsh completion script: xvs completion >> ~/.bashrc')
    .fail((message, err) => {
      if (err) throw err;
      throw new UsageError(message);
    });
  if (wrap !== undefined) parser = parser.wrap(wrap);
  for (const c of commands) parser = parser.command(c.command, c.describe, c.builder, c.handler);
  return parser;
}
