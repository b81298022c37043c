// Helpers on compiled commands that apply to a command and every nested one.
import type { Command } from './types.js';

export function setRecord(cmd: Command, record: boolean): void {
  for (let c: Command | undefined = cmd; c; c = c.subcommand) c.record = record;
}

export function setPreprocess(cmd: Command, preprocess: boolean): void {
  for (let c: Command | undefined = cmd; c; c = c.subcommand) c.preprocess = preprocess;
}

export function setSource(cmd: Command, source: string): void {
  for (let c: Command | undefined = cmd; c; c = c.subcommand) c.source = source;
}

export function setNamespace(cmd: Command, namespace: string): void {
  for (let c: Command | undefined = cmd; c; c = c.subcommand) c.namespace = namespace;
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
