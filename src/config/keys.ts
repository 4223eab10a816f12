// src/config/keys.ts — the identity of a service and of a server, as the operator names them and
// as every part of xvs keys them: a service is `vip:port/proto` (the name `xvs weight` also
// accepts, and what must be unique in a file), a server is `address:port` within its service
// (ipvsadm's form: an IPv6 address in brackets, `[2001:db8::1]:80/tcp`). Pure; any thread.
import { hostPort } from './address.js';
import type { ServerConfig, ServiceConfig } from './types.js';

export function serviceKey(s: Pick<ServiceConfig, 'vip' | 'port' | 'protocol'>): string {
  return `${hostPort(s.vip, s.port)}/${s.protocol}`;
}

export function serverKey(s: Pick<ServerConfig, 'address' | 'port'>): string {
  return hostPort(s.address, s.port);
}

/** One map key for a server within a service: `service` is the service's key or its name, `server` its serverKey. */
export function serverInServiceKey(service: string, server: string): string {
  return `${service}\u0000${server}`;
}
