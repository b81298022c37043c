// Who is asking: a Bearer token, else `?token=` (which also opens a browser
// session), else the session cookie. Sessions are random ids held in memory,
// set HttpOnly + SameSite=Strict, so a token never sits in a cookie.
import { randomBytes } from 'node:crypto';
import type { Role } from './schemas.js';
import type { TokenStore } from './tokens.js';

export const SESSION_COOKIE = 'mw_session';

export interface Principal {
  role: Role;
  /** how it was proven */
  via: 'bearer' | 'query' | 'cookie';
}

export interface AuthRequest {
  headers: Record<string, string | string[] | undefined>;
  query: unknown;
}

export class Sessions {
  readonly #byId = new Map<string, { role: Role; at: number }>();
  constructor(
    private readonly max = 10_000,
    private readonly ttlMs = 7 * 24 * 3600 * 1000,
  ) {}

  open(role: Role): string {
    const id = randomBytes(24).toString('base64url');
    this.#byId.set(id, { role, at: Date.now() });
    if (this.#byId.size > this.max) {
      const oldest = this.#byId.keys().next().value;
      if (oldest !== undefined) this.#byId.delete(oldest);
    }
    return id;
  }

  role(id: string): Role | undefined {
    const s = this.#byId.get(id);
    if (!s) return undefined;
    if (Date.now() - s.at > this.ttlMs) {
      this.#byId.delete(id);
      return undefined;
    }
    return s.role;
  }

  close(id: string): void {
    this.#byId.delete(id);
  }
}

export function readCookie(header: string | string[] | undefined, name: string): string {
  const text = Array.isArray(header) ? header.join('; ') : (header ?? '');
  for (const part of text.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return '';
}

export function sessionCookie(id: string, secure: boolean): string {
  return `${SESSION_COOKIE}=${id}; Path=/; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
}

export function clearedSessionCookie(): string {
  return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`;
}

/**
 * The principal of a request, or undefined. `fromQuery` says whether the
 * token was taken from `?token=` (the caller then sets a session cookie).
 */
export function authenticate(
  req: AuthRequest,
  tokens: TokenStore,
  sessions: Sessions,
): (Principal & { sessionId?: string }) | undefined {
  const authz = req.headers.authorization;
  const h = Array.isArray(authz) ? authz[0] : authz;
  if (h !== undefined) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
    const role = m ? tokens.role(m[1]!) : undefined;
    // a wrong Authorization header is not rescued by a cookie
    return role ? { role, via: 'bearer' } : undefined;
  }
  const q = req.query as Record<string, unknown> | undefined;
  const qt = q?.token;
  if (typeof qt === 'string' && qt !== '') {
    const role = tokens.role(qt);
    return role ? { role, via: 'query' } : undefined;
  }
  const sid = readCookie(req.headers.cookie, SESSION_COOKIE);
  if (sid) {
    const role = sessions.role(sid);
    if (role) return { role, via: 'cookie', sessionId: sid };
  }
  return undefined;
}
