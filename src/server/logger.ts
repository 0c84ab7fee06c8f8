// Structured logs (JSON lines on stdout) for every layer above the codecs.
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string, name = 'mailstead'): Logger {
  return pino({ name, level, base: { pid: process.pid } });
}

/** A logger that drops everything: tests and one-shot CLI commands. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
