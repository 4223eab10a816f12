// Public API of the config module: load and validate a config file (DESIGN §5) into the typed,
// normalised Config. Consumed by the CLI (`xvs check`, `xvs run`), the control thread and reload.
// Re-exports only; no side effects beyond compiling the schema on first import.

export { loadConfigFile, parseConfigText } from './load.js';
export { parseDuration, DURATION_FORMS } from './duration.js';
export { DEFAULTS, LIMITS } from './defaults.js';
export * from './types.js';
