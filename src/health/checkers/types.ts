// src/health/checkers/types.ts — the contract of one checker: a target, its check config and an
// AbortSignal that fires at the check's timeout → a ProbeResult. A checker never throws and
// settles promptly once the signal fires. Checkers run on a health worker (piscina) thread.
import type { HealthCheckConfig, HealthCheckType } from '../../config/types.js';
import type { ProbeResult } from '../types.js';

export interface ProbeTarget {
  address: string;
  port: number;
}

export type Checker = (target: ProbeTarget, check: HealthCheckConfig, signal: AbortSignal) => Promise<ProbeResult>;

export interface HealthChecker {
  type: HealthCheckType;
  probe: Checker;
}
