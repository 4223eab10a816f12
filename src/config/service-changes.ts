// src/config/service-changes.ts — what a reload changes in the services, by name: added, removed,
// and changed (any field of the service or its servers). For the `reloaded` log line, so that it
// says what the new file did. Pure; main thread.
import type { Config } from './types.js';

export interface ServiceChanges {
  added: string[];
  removed: string[];
  changed: string[];
}

export function serviceChanges(before: Config, after: Config): ServiceChanges {
  const old = new Map(before.services.map((s) => [s.name, JSON.stringify(s)]));
  const next = new Map(after.services.map((s) => [s.name, JSON.stringify(s)]));
  return {
    added: [...next.keys()].filter((n) => !old.has(n)),
    removed: [...old.keys()].filter((n) => !next.has(n)),
    changed: [...next.entries()].filter(([n, text]) => old.has(n) && old.get(n) !== text).map(([n]) => n),
  };
}
