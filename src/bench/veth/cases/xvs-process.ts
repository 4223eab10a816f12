// src/bench/veth/cases/xvs-process.ts — runs a balancer process for the xvs cases of
// `xvs bench veth`: writes the config (backend afxdp or dpdk, 1 worker pinned to the balancer CPU, the
// topology's two arms, one UDP service on the VIP whose one server is the sink), starts
// `xvs run` (or the I/O-loop-only forwarder) pinned as a whole to the balancer CPU with
// taskset at the bench's nice value (topology.ts). The config is the minimal one a user writes
// (no tuning fields: the worker runs at xvs's default priority) unless --worker-fifo sets
// dataplane.worker_priority. On teardown it stops the process and turns its final counters into
// notes and problems.
// Main thread.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { DEFAULTS } from '../../../config/defaults.js';
import { Balancer } from '../../../demo/balancer.js';
import { reserveHugepages } from '../../../netns/hugepages.js';
import { BALANCER_CPU, SINK_ADDR, VIP, VIP_PORT, pinnedNiced, type VethTopology } from '../topology.js';

import type { CaseEnv, Prepared } from './types.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const XVS_BIN = path.resolve(HERE, '../../../../../bin/xvs.js');
const FORWARDER = path.resolve(HERE, '../forwarder.js');

/** Fullnat gets one LIP per this many flows: the ports of the default local_port_range (1024–32767). */
export const FLOWS_PER_LIP = DEFAULTS.local_port_range[1] - DEFAULTS.local_port_range[0] + 1;

export function lipCount(flows: number): number {
  return Math.max(1, Math.ceil(flows / FLOWS_PER_LIP));
}

/** The xvs config of a case: `mode` is the service's forwarding mode. */
export function xvsCaseConfig(
  topo: Pick<VethTopology, 'l0' | 'l1' | 'lips'>,
  mode: 'fullnat' | 'dr',
  flows: number,
  workerPriority?: number,
  backend: 'afxdp' | 'dpdk' = 'afxdp',
): object {
  // The default table (DEFAULTS.conn_table_size) holds 2^20 connections; more flows need more.
  let connTableSize = 1 << 20;
  while (connTableSize < 2 * flows) connTableSize *= 2;
  return {
    dataplane: {
      backend,
      // No cpus: the whole process is pinned to the balancer CPU (taskset), workers included.
      interfaces: [topo.l0, topo.l1],
      ...(workerPriority !== undefined ? { worker_priority: workerPriority } : {}),
      ...(connTableSize > 1 << 20 ? { conn_table_size: connTableSize } : {}),
    },
    log_level: 'info',
    ...(mode === 'fullnat' ? { local_address_pools: { bench: topo.lips } } : {}),
    services: [
      {
        name: 'bench',
        vip: VIP,
        port: VIP_PORT,
        protocol: 'udp',
        scheduler: 'rr',
        forwarding: mode,
        ...(mode === 'fullnat' ? { local_address_pool: 'bench' } : {}),
        servers: [{ address: SINK_ADDR, port: VIP_PORT }],
      },
    ],
  };
}

const DROP_PREFIX = 'drop_';

/**
 * Backend dpdk (the minimal config: hugepages, driver af_xdp): hugepages are reserved for the
 * case, the ports' host addresses move to their exception interfaces while xvs runs, and the
 * figure is taken once xvs resolved the sink by ARP itself; all of it is undone on teardown.
 */
export async function startXvsCase(
  env: CaseEnv,
  mode: 'fullnat' | 'dr',
  forwardOnly = false,
  backend: 'afxdp' | 'dpdk' = 'afxdp',
): Promise<Prepared> {
  const { topo, options } = env;
  const file = path.join(topo.dir, `${forwardOnly ? 'io-loop' : mode}-${backend}.json`);
  fs.writeFileSync(file, JSON.stringify(xvsCaseConfig(topo, mode, options.flows, options.workerFifo, backend), null, 2));
  const program = forwardOnly ? [FORWARDER, file] : [XVS_BIN, 'run', '--config', file];
  const dpdk = backend === 'dpdk';
  const releaseHugepages = dpdk ? reserveHugepages() : undefined;
  let balancer: Balancer;
  try {
    if (dpdk) topo.releasePortsForDpdk();
    balancer = await Balancer.start(topo, file, [...pinnedNiced(BALANCER_CPU), process.execPath, ...program]);
  } catch (err) {
    if (dpdk) topo.hostSideBackOnPorts();
    releaseHugepages?.();
    throw err;
  }
  if (dpdk) {
    try {
      topo.hostSideOnExceptionInterfaces();
      await balancer.nextHopsResolved();
    } catch (err) {
      await balancer.stop();
      topo.hostSideBackOnPorts();
      releaseHugepages?.();
      throw err;
    }
  }
  // dpdk: the start-up's unresolved next hops are the expected warning (the host side comes after).
  const warnings = balancer
    .warnings()
    .filter((w) => !dpdk || w.event !== 'nexthops_unresolved')
    .map((w) => w.msg ?? w.event ?? 'warning');
  return {
    expect: mode === 'fullnat' && !forwardOnly ? 'server' : 'vip',
    async teardown() {
      const stopped = await balancer.stop();
      if (dpdk) {
        topo.hostSideBackOnPorts();
        releaseHugepages?.();
      }
      const c = stopped.counters;
      const notes: string[] = [];
      if (!forwardOnly) {
        notes.push(`${c.conn_created ?? 0} conns`);
        // Which path carried the figure: the workers (rx) or the XDP fast path.
        const fast = stopped.fastPath?.packets ?? 0;
        const total = fast + (c.rx_packets ?? 0);
        if (total > 0) notes.push(`${Math.round((100 * fast) / total)} % of packets by the XDP fast path`);
      }
      const drops = Object.entries(c)
        .filter(([k, v]) => k.startsWith(DROP_PREFIX) && v > 0)
        .map(([k, v]) => `${k} ${v}`);
      notes.push(...drops);
      let problem: string | undefined;
      if (stopped.exitCode !== 0) problem = `exited with ${stopped.exitCode}: ${stopped.stderr.trim().split('\n').at(-1) ?? ''}`;
      else if (stopped.frames && stopped.frames.lost !== 0) problem = `${dpdk ? 'mbufs' : 'UMEM frames'} lost: ${stopped.frames.lost}`;
      else if (!forwardOnly && (c.conn_created ?? 0) < options.flows)
        problem = `only ${c.conn_created ?? 0} of ${options.flows} flows made a connection${drops.length ? ` (${drops.join(', ')})` : ''}`;
      if (warnings.length > 0) notes.push(...warnings.map((w) => `warning: ${w}`));
      return { notes, ...(problem ? { problem } : {}) };
    },
  };
}
