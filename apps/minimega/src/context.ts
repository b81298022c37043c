// What every command module receives. The daemon core builds one Daemon and
// passes it to each module's `register(daemon)`; modules keep their own state
// and hook into clear-all and shutdown instead of editing the core.
import type { Cli } from '@mm/cli-grammar';
import type { NamespaceManager } from '@mm/namespace';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'fatal';

export interface Logger {
  debug(msg: string, ...args: unknown[]): void;
  info(msg: string, ...args: unknown[]): void;
  warn(msg: string, ...args: unknown[]): void;
  error(msg: string, ...args: unknown[]): void;
  level: LogLevel;
}

/** Parsed daemon flags (daemon.md §1); names as the Go flags. */
export interface DaemonFlags {
  base: string;
  filepath: string;
  degree: number;
  msa: number;
  broadcast: string;
  port: number;
  context: string;
  vlanrange: string;
  force: boolean;
  recover: boolean;
  nostdin: boolean;
  level: LogLevel;
  verbose: boolean;
  logfile: string;
  /** our additions */
  accel: 'auto' | 'kvm' | 'tcg';
  meshkey: string;
  /** any flag a module wants to read (unknown-to-core flags are kept here) */
  [extra: string]: unknown;
}

export interface Daemon {
  readonly hostname: string;
  readonly flags: DaemonFlags;
  readonly cli: Cli;
  readonly log: Logger;
  readonly namespaces: NamespaceManager;
  /** register work for `clear all` (run in registration order) */
  onClearAll(name: string, fn: () => void | Promise<void>): void;
  /** register teardown for shutdown (run in reverse registration order) */
  onShutdown(name: string, fn: () => void | Promise<void>): void;
  /** stop the daemon (as `quit`), running every shutdown hook once */
  shutdown(reason: string): Promise<void>;
}

/** A command module: registers handlers on daemon.cli and keeps its own state. */
export type CommandModule = (daemon: Daemon) => void | Promise<void>;
