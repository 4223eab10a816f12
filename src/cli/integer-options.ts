// src/cli/integer-options.ts — the check every benchmark command makes of its integer options:
// each within its [min, max], else a usage error (exit 2) naming the option and its range.
// Main thread.
import { CliError, EXIT_USAGE } from './errors.js';

export function checkIntegerOptions(args: Record<string, unknown>, limits: Record<string, readonly [number, number]>): void {
  for (const [name, [min, max]] of Object.entries(limits)) {
    const value = args[name];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
      throw new CliError(`xvs: --${name} must be an integer from ${min} to ${max} (got ${String(value)})`, EXIT_USAGE);
  }
}
