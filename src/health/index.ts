// src/health/index.ts — the health subsystem's public surface, for the control worker: a probe
// pool (piscina threads), the HealthMonitor that schedules checks and tracks rise/fall and
// quorum, and EffectiveConfigs (effectiveConfig() for a whole view at once), which applies the
// monitor's view to a config before a commit.
export { effectiveConfig, aliveCount, EffectiveConfigs, type ServiceHealthSource } from './effective.js';
export { HealthMonitor, type HealthMonitorOptions } from './monitor.js';
export { ProbePool, PROBE_POOL_DEFAULTS, type ProbePoolOptions, type ProbeRunner } from './pool.js';
export { runProbe } from './probe.js';
export { checkTargets } from './targets.js';
export type * from './types.js';
