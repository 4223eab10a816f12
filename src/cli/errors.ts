// src/cli/errors.ts — how commands fail: a CliError carries the exit code (1 runtime, 2 usage)
// and the lines to print, without a stack trace. Main thread.

export const EXIT_RUNTIME = 1;
export const EXIT_USAGE = 2;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_RUNTIME,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
