// Shared by every page: the page's data attributes, JSON fetches that
// surface errors (never an empty table on failure), the nav.

export const page = document.body.dataset as {
  page: string;
  role?: string;
  namespace?: string;
  pinned?: string;
  vm?: string;
};

export const isAdmin = () => page.role === 'admin';

/** `path` with the page's namespace added as ?namespace= when there is one. */
export function withNs(path: string): string {
  if (!page.namespace || page.pinned) return path;
  return `${path}${path.includes('?') ? '&' : '?'}namespace=${encodeURIComponent(page.namespace)}`;
}

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(path, {
    ...init,
    credentials: 'same-origin',
    headers: { ...(init.body ? { 'content-type': 'application/json' } : {}), ...init.headers },
  });
  if (res.status === 401) {
    location.href = `/login?next=${encodeURIComponent(location.pathname + location.search)}`;
    throw new ApiFailure(401, 'unauthorized', 'not logged in');
  }
  if (res.status === 204) return undefined as T;
  const body = (await res.json().catch(() => ({}))) as {
    error?: { code: string; message: string };
  };
  if (!res.ok) {
    throw new ApiFailure(
      res.status,
      body.error?.code ?? 'error',
      body.error?.message ?? res.statusText,
    );
  }
  return body as T;
}

export function banner(message: string | undefined): void {
  const b = document.getElementById('banner');
  if (!b) return;
  b.hidden = !message;
  b.textContent = message ?? '';
}

/** A DOM element with text content only (no HTML parsing of data). */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<Record<'className' | 'textContent' | 'title' | 'href', string>> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  Object.assign(e, props);
  for (const c of children) e.append(c);
  return e;
}

export function initNav(): void {
  const who = document.getElementById('whoami');
  if (who) who.textContent = `${page.role ?? ''}${page.namespace ? ` · ${page.namespace}` : ''}`;
  document.getElementById('logout')?.addEventListener('click', async () => {
    await fetch('/api/v1/session', { method: 'DELETE', credentials: 'same-origin' });
    location.href = '/login';
  });
}

export function humanSeconds(s: number): string {
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d) return `${d}d ${h}h`;
  if (h) return `${h}h ${m}m`;
  if (m) return `${m}m ${Math.floor(s % 60)}s`;
  return `${Math.floor(s)}s`;
}
