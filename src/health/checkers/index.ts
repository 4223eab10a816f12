// src/health/checkers/index.ts — the registry of health checkers by check type (tcp, http, udp,
// exec), one per file. Consumed by probe.ts on a health worker thread.
import type { HealthCheckType } from '../../config/types.js';
import { execChecker } from './exec.js';
import { httpChecker } from './http.js';
import { tcpChecker } from './tcp.js';
import type { HealthChecker } from './types.js';
import { udpChecker } from './udp.js';

const registry = new Map<string, HealthChecker>([tcpChecker, httpChecker, udpChecker, execChecker].map((c) => [c.type, c]));

export function checkerFor(type: HealthCheckType | string): HealthChecker | undefined {
  return registry.get(type);
}

export function checkerTypes(): string[] {
  return [...registry.keys()];
}

export type { Checker, HealthChecker, ProbeTarget } from './types.js';
