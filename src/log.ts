// src/log.ts — the process logger: pino, one JSON object per line on stdout (what log shippers
// and the tests read), or with format 'pretty' (`xvs run --log-format pretty`) pino-pretty's
// human-readable line per entry: time, level, message, then the fields on the same line.
// Main thread.
import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';

import type { LogLevel } from './config/types.js';

export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export function createLogger(level: LogLevel = 'info', format: LogFormat = 'json'): Logger {
  const options = { level, base: { name: 'xvs' } };
  if (format === 'pretty')
    return pino(
      options,
      pretty({
        sync: true,
        destination: 1,
        colorize: Boolean(process.stdout.isTTY),
        translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l',
        ignore: 'pid,hostname,name',
        singleLine: true,
      }),
    );
  return pino(options, pino.destination({ dest: 1, sync: true }));
}

export type { Logger };
