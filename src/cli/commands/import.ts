// src/cli/commands/import.ts — `xvs import keepalived FILE` and `xvs import ipvsadm [FILE]`
// (default: standard input, as `ipvsadm-save -n | xvs import ipvsadm`): the configuration of a
// keepalived or IPVS balancer as an xvs config file on stdout (src/import/), its header listing
// everything not carried over exactly; stderr says how many and whether xvs's loader accepts
// the result (exit 1 and the problems when it does not, the text still printed to be mended).
// Main thread of the CLI.
import fs from 'node:fs';
import type { Argv } from 'yargs';

import { importIpvsadm } from '../../import/ipvsadm.js';
import { importKeepalived } from '../../import/keepalived.js';
import { KeepalivedSyntaxError, parseKeepalived } from '../../import/keepalived-syntax.js';
import { ImportError, importedText, importProblems, type ImportResult } from '../../import/result.js';
import type { CliCommand } from '../command.js';
import { CliError, EXIT_USAGE } from '../errors.js';

interface ImportArgs {
  format: 'keepalived' | 'ipvsadm';
  file?: string;
  interface: string[];
}

function read(file: string | undefined): { text: string; source: string } {
  try {
    if (file === undefined || file === '-') return { text: fs.readFileSync(0, 'utf8'), source: 'standard input' };
    return { text: fs.readFileSync(file, 'utf8'), source: file };
  } catch (err) {
    throw new CliError(`xvs import: cannot read ${file ?? 'standard input'}: ${(err as Error).message}`);
  }
}

function convert(args: ImportArgs): { result: ImportResult; source: string } {
  if (args.format === 'keepalived') {
    if (args.file === undefined) throw new CliError('xvs import keepalived: name the file (keepalived reads includes relative to it)', EXIT_USAGE);
    const { text, source } = read(args.file);
    return { result: importKeepalived(parseKeepalived(text, source), { interfaces: args.interface }), source };
  }
  const { text, source } = read(args.file);
  return { result: importIpvsadm(text, source, args.interface), source };
}

export const importCommand: CliCommand<ImportArgs> = {
  command: 'import <format> [file]',
  describe: 'Turn a keepalived.conf or ipvsadm-save -n rules into an xvs config file (stdout); what has no xvs equivalent is listed in its header',
  builder: (y: Argv) =>
    y
      .positional('format', { choices: ['keepalived', 'ipvsadm'] as const, describe: 'what FILE is' })
      .positional('file', { type: 'string', describe: 'the file (ipvsadm: default standard input)' })
      .option('interface', {
        alias: 'i',
        type: 'string',
        array: true,
        default: [],
        describe: 'dataplane.interfaces (repeat for two); keepalived default: its vrrp_instance interfaces',
      }) as never,
  handler: async (args) => {
    let converted;
    try {
      converted = convert(args);
    } catch (err) {
      if (err instanceof ImportError || err instanceof KeepalivedSyntaxError) throw new CliError(`xvs import ${args.format}: ${err.message}`);
      throw err;
    }
    const { result, source } = converted;
    const text = importedText(result, source);
    process.stdout.write(text);
    const services = result.doc.services.length;
    const noted = result.notes.length ? `; ${result.notes.length} thing(s) not imported as they were, listed in the header` : '';
    const problems = importProblems(text);
    if (problems.length) throw new CliError(`xvs import: ${services} service(s)${noted}; xvs check would refuse the result:\n${problems.join('\n')}`);
    process.stderr.write(`xvs import: ${services} service(s)${noted}\n`);
  },
};
