// Tokens and roles: a file of `TOKEN ROLE` lines, or one admin token made at
// start (printed once, stored under the daemon base, like a notebook server),
// so miniweb is never open by default. Tokens are kept as SHA-256 digests
// and looked up by digest, so no comparison leaks timing.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Role } from './schemas.js';

export class TokenFileError extends Error {
  readonly code = 'ERR_TOKEN_FILE' as const;
}

export interface TokenStore {
  /** the role of `token`, or undefined when unknown */
  role(token: string): Role | undefined;
  readonly size: number;
}

export function digest(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function tokenStore(entries: Iterable<[token: string, role: Role]>): TokenStore {
  const map = new Map<string, Role>();
  for (const [t, r] of entries) map.set(digest(t), r);
  return {
    role: (token) => (token ? map.get(digest(token)) : undefined),
    get size() {
      return map.size;
    },
  };
}

/** Parses a tokens file: one `TOKEN ROLE` per line; blank lines and `#` comments skipped. */
export function parseTokens(text: string, file = 'tokens'): [string, Role][] {
  const out: [string, Role][] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const words = line.split(/\s+/);
    if (words.length !== 2) {
      throw new TokenFileError(
        `${file}:${i + 1}: expected \`TOKEN ROLE\`, got ${words.length} words`,
      );
    }
    const [token, role] = words as [string, string];
    if (role !== 'admin' && role !== 'viewer') {
      throw new TokenFileError(`${file}:${i + 1}: unknown role \`${role}\` (admin or viewer)`);
    }
    if (token.length < 8) {
      throw new TokenFileError(`${file}:${i + 1}: token too short (at least 8 characters)`);
    }
    out.push([token, role]);
  });
  if (out.length === 0) throw new TokenFileError(`${file}: no tokens`);
  return out;
}

export async function loadTokens(file: string): Promise<TokenStore> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new TokenFileError(`cannot read tokens file: ${(e as Error).message}`);
  }
  return tokenStore(parseTokens(text, file));
}

/** Where the generated admin token is kept. */
export function generatedTokenPath(base: string): string {
  return join(base, 'miniweb.token');
}

/** A fresh admin token, written (mode 0600) to `<base>/miniweb.token`. */
export async function generateAdminToken(base: string): Promise<string> {
  const token = randomBytes(24).toString('base64url');
  await mkdir(base, { recursive: true, mode: 0o700 });
  await writeFile(generatedTokenPath(base), `${token} admin\n`, { mode: 0o600 });
  return token;
}
