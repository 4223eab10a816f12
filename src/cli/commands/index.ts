// src/cli/commands/index.ts — the registry of CLI commands, in the order `xvs --help` lists them.
import type { CliCommand } from '../command.js';
import { benchCommand } from './bench.js';
import { checkCommand } from './check.js';
import { decapCommand } from './decap.js';
import { demoCommand } from './demo.js';
import { drainCommand } from './drain.js';
import { importCommand } from './import.js';
import { listCommand } from './list.js';
import { runCommand } from './run.js';
import { saveCommand } from './save.js';
import { weightCommand } from './weight.js';

// Each command types its own arguments; the registry only needs their common shape.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CliCommand<any>[] = [
  runCommand,
  checkCommand,
  listCommand,
  saveCommand,
  weightCommand,
  drainCommand,
  importCommand,
  demoCommand,
  decapCommand,
  benchCommand,
];
