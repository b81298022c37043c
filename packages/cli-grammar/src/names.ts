// The one rule set for names that cross a boundary: hosts, VMs, namespaces,
// taps and bridges. Every layer validates with these rules (leaf packages
// that cannot import this one keep a copy that the shared table in
// test-support/name-cases.ts checks against this file).
//
// - host: a mesh node name: no control characters (NUL included), no
//   whitespace, none of `:` `,` `[` `]` (they separate names in discovery and
//   host ranges), at most 253 bytes (a DNS name's limit);
// - vm, namespace: letters, digits, `-`, `_`, `.` (minimega's rule), at most
//   253 bytes, not `.` or `..`; a VM is not `all` and not an integer (they
//   are targets);
// - tap, bridge: a Linux interface name: letters, digits, `-`, `_`, `.`, at
//   most 15 bytes (IFNAMSIZ - 1), not `.` or `..`.
import { z } from 'zod';
import { CliError } from './errors.js';

export type NameKind = 'host' | 'vm' | 'namespace' | 'tap' | 'bridge';
export const NAME_KINDS: readonly NameKind[] = ['host', 'vm', 'namespace', 'tap', 'bridge'];

export const MAX_NAME_BYTES = 253;
export const MAX_IFNAME_BYTES = 15;

const HOST_FORBIDDEN = /[\u0000-\u001f\u007f\s:,[\]]/u;
const WORD = /^[A-Za-z0-9_.-]+$/;
const WORD_TEXT = 'must only include letters, numbers, hyphens, underscores and dots';

/** A name that breaks the rules of its kind. */
export class InvalidNameError extends CliError {
  readonly code = 'ERR_INVALID_NAME' as const;
  constructor(
    readonly kind: NameKind,
    readonly value: string,
    readonly why: string,
  ) {
    super(`invalid ${kind} name ${JSON.stringify(value)}: ${why}`);
  }
}

/** Why `name` is not a valid name of `kind`, or undefined when it is. */
export function nameProblem(kind: NameKind, name: string): string | undefined {
  if (typeof name !== 'string' || name.length === 0) return 'empty';
  const bytes = Buffer.byteLength(name, 'utf8');
  if (kind === 'host') {
    if (bytes > MAX_NAME_BYTES) return `longer than ${MAX_NAME_BYTES} bytes`;
    const bad = HOST_FORBIDDEN.exec(name);
    return bad ? `contains ${JSON.stringify(bad[0])}` : undefined;
  }
  if (!WORD.test(name)) return WORD_TEXT;
  if (name === '.' || name === '..') return 'not a name';
  const max = kind === 'tap' || kind === 'bridge' ? MAX_IFNAME_BYTES : MAX_NAME_BYTES;
  if (bytes > max) return `longer than ${max} bytes`;
  if (kind === 'vm') {
    if (name === 'all') return '`all` is a reserved word';
    if (/^[+-]?\d+$/.test(name)) return 'an integer';
  }
  return undefined;
}

export function isValidName(kind: NameKind, name: unknown): name is string {
  return typeof name === 'string' && nameProblem(kind, name) === undefined;
}

/** Returns `name`, or throws InvalidNameError naming what is wrong. */
export function checkName(kind: NameKind, name: string): string {
  const why = nameProblem(kind, name);
  if (why !== undefined) throw new InvalidNameError(kind, name, why);
  return name;
}

/** zod schema for a name of `kind` on the wire. */
export function nameSchema(kind: NameKind): z.ZodType<string> {
  return z
    .string()
    .refine((s) => nameProblem(kind, s) === undefined, { message: `invalid ${kind} name` });
}
