// Levelled logging (minilog): to stderr (-v), to a file (-logfile), to an
// in-memory ring (`log ring`), with text filters (`log filter`).
import { appendFileSync, closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger, LogLevel } from '../context.js';

export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'fatal'];
const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3, fatal: 4 };

export function isLogLevel(s: string): s is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(s);
}

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

function stamp(d: Date): string {
  return `${d.getFullYear()}/${pad(d.getMonth() + 1)}/${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

function formatArgs(msg: string, args: unknown[]): string {
  if (args.length === 0) return msg;
  return `${msg} ${args.map((a) => (a instanceof Error ? a.message : typeof a === 'string' ? a : JSON.stringify(a))).join(' ')}`;
}

export interface DaemonLogger extends Logger {
  stderr: boolean;
  /** current log file path ('' = none) */
  readonly file: string;
  setFile(path: string): void;
  readonly filters: string[];
  addFilter(text: string): void;
  clearFilters(): void;
  /** ring size (0 = off) */
  readonly ringSize: number;
  setRing(size: number): void;
  ringText(): string;
  close(): void;
}

export interface LoggerOptions {
  level: LogLevel;
  stderr: boolean;
  file?: string;
  /** where stderr lines go (tests) */
  writeStderr?: (line: string) => void;
}

export function createLogger(opts: LoggerOptions): DaemonLogger {
  let fd: number | undefined;
  let file = '';
  let ring: string[] = [];
  let ringSize = 0;
  const filters: string[] = [];
  const writeStderr = opts.writeStderr ?? ((line: string) => process.stderr.write(line));

  const emit = (level: LogLevel, msg: string, args: unknown[]) => {
    if (RANK[level] < RANK[logger.level]) return;
    const text = formatArgs(msg, args);
    if (filters.some((f) => text.includes(f))) return;
    const line = `${stamp(new Date())} ${level.toUpperCase()} ${text}\n`;
    if (logger.stderr) writeStderr(line);
    if (fd !== undefined) {
      try {
        writeSync(fd, line);
      } catch {
        // a failing log file must not take the daemon down
      }
    }
    if (ringSize > 0) {
      ring.push(line);
      if (ring.length > ringSize) ring = ring.slice(ring.length - ringSize);
    }
  };

  const logger: DaemonLogger = {
    level: opts.level,
    stderr: opts.stderr,
    get file() {
      return file;
    },
    debug: (m, ...a) => emit('debug', m, a),
    info: (m, ...a) => emit('info', m, a),
    warn: (m, ...a) => emit('warn', m, a),
    error: (m, ...a) => emit('error', m, a),
    setFile(path: string) {
      if (fd !== undefined) {
        closeSync(fd);
        fd = undefined;
        file = '';
      }
      if (path === '') return;
      mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
      appendFileSync(path, '', { mode: 0o660 });
      fd = openSync(path, 'a', 0o660);
      file = path;
    },
    get filters() {
      return [...filters];
    },
    addFilter(text: string) {
      if (!filters.includes(text)) filters.push(text);
    },
    clearFilters() {
      filters.length = 0;
    },
    get ringSize() {
      return ringSize;
    },
    setRing(size: number) {
      ringSize = Math.max(0, size);
      if (ringSize === 0) ring = [];
      else if (ring.length > ringSize) ring = ring.slice(ring.length - ringSize);
    },
    ringText() {
      return ring.join('');
    },
    close() {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
  if (opts.file) logger.setFile(opts.file);
  return logger;
}
