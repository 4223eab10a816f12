// Duration syntax of the config file (DESIGN §5): a non-negative number of seconds, or a string of
// one or more <number><unit> parts with units ms, s, m, h ("900s", "2m", "1h30m", "500ms").
// Consumed by schema.ts (the duration check beside the schema) and normalise.ts (conversion); produces seconds as a
// number. Pure; runs on whichever thread loads the config.

/** What a duration may look like, for error messages and the README. */
export const DURATION_FORMS =
  'a number of seconds, or a string such as "900s", "2m", "1h", "1h30m" or "500ms"';

const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 };
// "ms" must be tried before "m" and "s"; the sticky flag walks the parts without gaps.
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/y;

/** Seconds, or undefined when `value` is not a duration. */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < text.length) {
    const m = PART.exec(text);
    if (!m) return undefined;
    total += Number(m[1]) * (UNIT_SECONDS[m[2] ?? ''] ?? NaN);
  }
  // Rounding keeps "100ms" from turning into 0.10000000000000001.
  return Number.isFinite(total) ? Math.round(total * 1e6) / 1e6 : undefined;
}
