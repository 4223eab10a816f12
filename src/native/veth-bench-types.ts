// src/native/veth-bench-types.ts — the shapes the addon's `xvs bench veth` functions
// (native/binding/veth_bench_js.cc) take and return: the BPF_PROG_RUN generator and the counting
// sink. Types only; src/native/addon.ts re-exports them.

/** Parameters of vethPktgen (native/bench/pktgen.h): one generator run on this thread. */
export interface PktgenParams {
  /** build/Release/xvs_pktgen.bpf.o */
  object: string;
  /** The generator's veth, in this process's network namespace. */
  iface: string;
  srcMac: Uint8Array;
  dstMac: Uint8Array;
  /** First source address; flow f uses srcBase + floor(f / portsPerAddress). */
  srcBase: string;
  dstAddr: string;
  dstPort: number;
  /** Flow f uses srcPortBase + f % portsPerAddress. */
  srcPortBase: number;
  flows: number;
  portsPerAddress: number;
  /** Frames per second; 0 = flat out. */
  rate: number;
  seconds: number;
  /** Pin the calling thread there; -1 leaves it. */
  cpu: number;
}

export interface PktgenResult {
  /** Frames generated (transmit attempts, including those the peer's full ring refused). */
  frames: number;
  calls: number;
  seconds: number;
}

/** The `xvs bench veth` sink's counters (native/bpf/sink.bpf.c), summed over CPUs. */
export interface SinkCounts {
  /** IPv4 addressed to the configured server address (a NAT rewrote it). */
  toServer: number;
  otherIpv4: number;
}
