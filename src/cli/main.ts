// src/cli/main.ts — the `xvs` entry point (yargs). Usage errors exit 2 and runtime errors exit
// 1, each with one clear line and no stack trace (DESIGN §6). Main thread.
import { hideBin } from 'yargs/helpers';

import { CliError, EXIT_RUNTIME, EXIT_USAGE } from './errors.js';
import { buildParser, UsageError } from './parser.js';

/**
 * `xvs list | head`: once the reader is gone, the rest of the output has nowhere to go. Stop
 * quietly, as a shell tool does on SIGPIPE (which Node ignores), instead of a stack trace.
 */
function exitQuietlyOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr])
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(0);
      throw err;
    });
}

export async function main(argv: string[]): Promise<number> {
  const parser = buildParser(argv);
  try {
    await parser.parseAsync();
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`xvs: ${err.message}\nxvs: try 'xvs --help'\n`);
      return EXIT_USAGE;
    }
    if (err instanceof CliError) {
      process.stderr.write(err.message.endsWith('\n') ? err.message : `${err.message}\n`);
      return err.exitCode;
    }
    const e = err as { message?: string; code?: string };
    process.stderr.write(`xvs: ${e?.message ?? String(err)}${e?.code ? ` (${e.code})` : ''}\n`);
    return EXIT_RUNTIME;
  }
}

exitQuietlyOnClosedPipe();
process.exitCode = await main(hideBin(process.argv));
