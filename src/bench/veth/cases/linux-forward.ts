// src/bench/veth/cases/linux-forward.ts — case "linux-forward": plain Linux IPv4 forwarding in
// the balancer namespace (GRO on at l0, no netfilter rules): the VIP is routed to the sink.
// The sink sees the frames still addressed to the VIP. Main thread.
import { SINK_ADDR, VIP } from '../topology.js';
import { kernelForwarding } from './kernel-forwarding.js';
import type { BenchCase } from './types.js';

export const linuxForward: BenchCase = {
  name: 'linux-forward',
  describe: 'Linux IPv4 forwarding (route VIP via the sink), no netfilter',
  async setup({ topo }) {
    topo.lab.route(topo.balancer, `${VIP}/32`, 'via', SINK_ADDR, 'dev', topo.l1);
    kernelForwarding(topo, true);
    return {
      expect: 'vip',
      async teardown() {
        kernelForwarding(topo, false);
        topo.lab.exec(topo.balancer, ['ip', 'route', 'del', `${VIP}/32`]);
        return { notes: [] };
      },
    };
  },
};
