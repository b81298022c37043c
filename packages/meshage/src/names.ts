// The one rule for node names on the mesh (hostnames in minimega). A name
// crosses every trust boundary (handshake, announcements, requests), so it
// is checked once here: no control characters (NUL included), no
// whitespace, none of the characters that separate names in discovery and
// host ranges (`:` `,` `[` `]`), at most 253 bytes (a DNS name's limit).
import { z } from 'zod';
import { InvalidOptionError } from './errors.js';

export const MAX_NAME_LENGTH = 253;

const FORBIDDEN = /[\u0000-\u001f\u007f\s:,[\]]/u;

/** why `name` is not a valid node name, or undefined when it is */
export function nodeNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'empty';
  if (Buffer.byteLength(name, 'utf8') > MAX_NAME_LENGTH) {
    return `longer than ${MAX_NAME_LENGTH} bytes`;
  }
  const bad = FORBIDDEN.exec(name);
  if (bad) return `contains ${JSON.stringify(bad[0])}`;
  return undefined;
}

export function isNodeName(name: unknown): name is string {
  return typeof name === 'string' && nodeNameProblem(name) === undefined;
}

/** throws InvalidOptionError naming the problem */
export function checkNodeName(name: string): string {
  const why = nodeNameProblem(name);
  if (why) throw new InvalidOptionError(`invalid mesh name ${JSON.stringify(name)}: ${why}`);
  return name;
}

/** zod schema for a node name on the wire */
export const nodeName = z.string().refine(isNodeName, { message: 'invalid node name' });
