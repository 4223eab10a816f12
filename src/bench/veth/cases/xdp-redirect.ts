// src/bench/veth/cases/xdp-redirect.ts — case "xdp-redirect": the kernel-path ceiling, a
// minimal XDP program on l0 (native/bpf/redirect.bpf.c) that rewrites the MACs and
// bpf_redirect()s every IPv4 frame to l1, in l0's NAPI thread; no lookup, no TTL. The sink
// (whose XDP program lets its veth accept redirected frames) sees them still addressed to the
// VIP. Main thread.
import type { BenchCase } from './types.js';

export const xdpRedirect: BenchCase = {
  name: 'xdp-redirect',
  describe: 'XDP program on l0: MACs + bpf_redirect() to l1',
  async setup({ topo }) {
    topo.attachRedirect();
    return {
      expect: 'vip',
      async teardown() {
        topo.detachXdp(topo.balancer, topo.l0);
        return { notes: [] };
      },
    };
  },
};
