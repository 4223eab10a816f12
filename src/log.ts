// src/log.ts — the process logger: pino, one JSON object per line on stdout. Main thread.
import { pino, type Logger } from 'pino';

import type { LogLevel } from './config/types.js';

export function createLogger(level: LogLevel = 'info'): Logger {
  return pino({ level, base: { name: 'xvs' } }, pino.destination({ dest: 1, sync: true }));
}

export type { Logger };
