// test/support/health.ts — helpers shared by the health unit tests: check and config builders,
// small real servers on 127.0.0.1 (tcp, http, udp) that tests close when done, a free closed
// port, and a bounded wait. Runs on the test's main thread.
import dgram from 'node:dgram';
import http from 'node:http';
import net from 'node:net';

import type { Config, HealthCheckConfig, HealthCheckType, ServerConfig, ServiceConfig } from '../../src/config/types.js';

export const LOCALHOST = '127.0.0.1';

/** A check with short, test-sized timings; `extra` overrides any field. */
export function check(type: HealthCheckType, extra: Partial<HealthCheckConfig> = {}): HealthCheckConfig {
  return { type, interval: 1, timeout: 0.5, rise: 2, fall: 3, inhibit_on_failure: true, initial_state: 'up', ...extra };
}

export function server(address: string, port: number, extra: Partial<ServerConfig> = {}): ServerConfig {
  return { address, port, weight: 1, upper_threshold: 0, lower_threshold: 0, ...extra };
}

export function service(name: string, servers: ServerConfig[], extra: Partial<ServiceConfig> = {}): ServiceConfig {
  return {
    name,
    vip: '203.0.113.10',
    port: 80,
    protocol: 'tcp',
    scheduler: 'wlc',
    forwarding: 'nat',
    one_packet: false,
    syn_proxy: 'auto',
    client_address: 'none',
    quorum: 1,
    quorum_hysteresis: 0,
    servers,
    ...extra,
  };
}

export function config(services: ServiceConfig[]): Config {
  return {
    source: '<test>',
    dataplane: {
      backend: 'mem',
      workers: 1,
      worker_priority: 0,
      interfaces: ['p0'],
      conn_table_size: 1024,
      timeouts: { tcp: 900, tcp_fin: 120, tcp_syn: 60, udp: 300, server_time_wait: 60 },
      state_dir: '/var/lib/xvs',
      syn_proxy_above: 1024,
      half_open_limit: 65536,
      local_port_range: [1024, 32767],
      fast_path: 'xdp',
    },
    api: { listen: '127.0.0.1:9100' },
    log_level: 'info',
    local_address_pools: {},
    services,
  };
}

/** Something to close after a test. */
export interface Closable {
  port: number;
  close(): Promise<void>;
}

function portOf(address: ReturnType<net.Server['address']> | ReturnType<dgram.Socket['address']>): number {
  if (address === null || typeof address === 'string') throw new Error('the server has no TCP/UDP address');
  return address.port;
}

export async function tcpServer(onConnection: (socket: net.Socket) => void = (s) => s.end(), host = LOCALHOST): Promise<Closable> {
  const sockets = new Set<net.Socket>();
  const srv = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    onConnection(socket);
  });
  await new Promise<void>((resolve) => srv.listen(0, host, resolve));
  return {
    port: portOf(srv.address()),
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        srv.close(() => resolve());
      }),
  };
}

export async function httpServer(handler: http.RequestListener, host = LOCALHOST): Promise<Closable> {
  const srv = http.createServer(handler);
  await new Promise<void>((resolve) => srv.listen(0, host, resolve));
  return {
    port: portOf(srv.address()),
    close: () =>
      new Promise((resolve) => {
        srv.closeAllConnections();
        srv.close(() => resolve());
      }),
  };
}

/** A UDP server that answers each datagram with reply(message), or not at all when it returns undefined. */
export async function udpServer(reply: (message: Buffer) => string | undefined, host = LOCALHOST): Promise<Closable> {
  const socket = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
  socket.on('message', (message, from) => {
    const answer = reply(message);
    if (answer !== undefined) socket.send(answer, from.port, from.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, host, resolve));
  return { port: portOf(socket.address()), close: () => new Promise((resolve) => socket.close(() => resolve())) };
}

/** A TCP port on 127.0.0.1 that nothing listens on (it was free a moment ago). */
export async function closedTcpPort(): Promise<number> {
  const s = await tcpServer();
  await s.close();
  return s.port;
}

/** A UDP port on 127.0.0.1 that nothing is bound to: datagrams to it get ICMP port unreachable. */
export async function closedUdpPort(): Promise<number> {
  const s = await udpServer(() => undefined);
  await s.close();
  return s.port;
}

/** Polls `predicate` every 10 ms; fails with `what` after `limitMs`. */
export async function waitFor(what: string, predicate: () => boolean, limitMs = 5000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
