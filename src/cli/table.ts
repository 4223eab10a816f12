// src/cli/table.ts — plain-text tables for CLI output: columns padded to their widest cell, two
// spaces apart, the last column unpadded. Main thread.

/** rows[0] is the header. */
export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n');
}
