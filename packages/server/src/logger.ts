import pino from 'pino';
import type { LogLevel } from './config/config.js';

/** Structured JSON logs on stdout. Components take a child logger scoped with their context. */
export type Logger = pino.Logger;

export function createLogger(level: LogLevel, nodeId: string): Logger {
  return pino({ level, base: { node: nodeId }, timestamp: pino.stdTimeFunctions.isoTime });
}
