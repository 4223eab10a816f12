// src/bench/machine.ts — what a benchmark ran on, printed and reported beside its figures. The
// same build ran fullnat-established at 1 000 flows in 29 ns on one guest of this project's
// cloud (Zen 5) and in 61–67 ns on another (Zen 3, 2026-12-07): a figure without its machine
// cannot be compared with a target or with an earlier run. Consumes /proc/cpuinfo (Linux; other
// systems get what `os` knows); produces a Machine. Main thread.
import { readFileSync } from 'node:fs';
import { cpus, release, type } from 'node:os';

export interface Machine {
  /** The CPU's model name ("AMD EPYC" on a guest that hides more). */
  cpu: string;
  /** x86 family and model numbers, which name the microarchitecture where the model name does
   * not (AMD: family 25 is Zen 3 and Zen 4, 26 Zen 5; Intel's cores are family 6, told apart by
   * the model); null where /proc/cpuinfo has neither (ARM). */
  cpu_family: number | null;
  cpu_model: number | null;
  /** Logical CPUs the system has (not only those this process may run on). */
  cpus: number;
  /** The operating system and its release ("Linux 6.18.44"). */
  kernel: string;
  node: string;
}

// Spaces and tabs only around the colon: a field with an empty value must not take the next line's.
const field = (text: string, name: string): string | undefined =>
  new RegExp(`^${name}[ \\t]*:[ \\t]*(.*)$`, 'm').exec(text)?.[1]?.trim() || undefined;

const integer = (value: string | undefined): number | null => {
  const n = value === undefined ? NaN : Number(value);
  return Number.isInteger(n) ? n : null;
};

/** The machine from /proc/cpuinfo's text (its first processor's lines) and what `os` says. */
export function machineFromCpuinfo(cpuinfo: string, cpuCount: number, kernel: string, node: string): Machine {
  return {
    cpu: field(cpuinfo, 'model name') ?? 'unknown',
    cpu_family: integer(field(cpuinfo, 'cpu family')),
    cpu_model: integer(field(cpuinfo, 'model')),
    cpus: cpuCount,
    kernel,
    node,
  };
}

export function describeMachine(): Machine {
  let cpuinfo = '';
  try {
    cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    // Not Linux: the model name below is all there is.
  }
  const list = cpus();
  const machine = machineFromCpuinfo(cpuinfo, list.length, `${type()} ${release()}`, process.version);
  if (machine.cpu === 'unknown' && list[0]?.model) machine.cpu = list[0].model.trim();
  return machine;
}

/** One line: "AMD EPYC (family 25, model 1), 2 CPUs, Linux 6.18.0, Node v20.20.2". */
export function machineText(m: Machine): string {
  const numbers = m.cpu_family === null ? '' : ` (family ${m.cpu_family}${m.cpu_model === null ? '' : `, model ${m.cpu_model}`})`;
  return `${m.cpu}${numbers}, ${m.cpus} CPU${m.cpus === 1 ? '' : 's'}, ${m.kernel}, Node ${m.node}`;
}
