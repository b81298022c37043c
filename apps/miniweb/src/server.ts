// The miniweb HTTP server: fastify with @fastify/websocket, the API routes of
// api-routes.ts validated by their zod schemas, the pages and their assets.
import { readFile } from 'node:fs/promises';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import compress from '@fastify/compress';
import websocket from '@fastify/websocket';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { API_ROUTES } from './api-routes.js';
import {
  authenticate,
  clearedSessionCookie,
  type Principal,
  readCookie,
  SESSION_COOKIE,
  Sessions,
  sessionCookie,
} from './auth.js';
import type { DaemonApi } from './daemon.js';
import { MiniwebData } from './data.js';
import {
  ApiError,
  BadRequestError,
  ForbiddenError,
  NotFoundError,
  UnauthorizedError,
} from './errors.js';
import { openApiDocument } from './openapi.js';
import { type PageName, renderPage } from './pages.js';
import { NameParams, type Role, ScreenshotQuery, SessionRequestSchema } from './schemas.js';
import type { TokenStore } from './tokens.js';
import { bridgeVnc } from './vnc-ws.js';

export const VERSION = '0.1.0';

export interface MiniwebOptions {
  daemon: DaemonApi;
  tokens: TokenStore;
  /** pin every request to this namespace ('' = none) */
  namespace?: string;
  /** where the built page assets are (default: next to this module) */
  publicDir?: string;
  screenshotTtlMs?: number;
  log?: (msg: string) => void;
}

export interface Miniweb {
  app: FastifyInstance;
  data: MiniwebData;
  sessions: Sessions;
  /** listen on host:port; resolves with the bound address */
  listen(addr: string): Promise<{ host: string; port: number; url: string }>;
  close(): Promise<void>;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
  interface FastifyContextConfig {
    role?: Role;
    public?: boolean;
  }
}

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

function defaultPublicDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  // dist/main.js → dist/public; src/server.ts (tests) → dist/public
  return here.endsWith('dist') ? join(here, 'public') : join(here, '..', 'dist', 'public');
}

function parse<T extends z.ZodType>(schema: T, value: unknown, what: string): z.infer<T> {
  const r = schema.safeParse(value ?? {});
  if (!r.success) {
    const why = r.error.issues
      .map((i) => `${i.path.length ? i.path.join('.') : what}: ${i.message}`)
      .join('; ');
    throw new BadRequestError(`invalid ${what}: ${why}`);
  }
  return r.data;
}

function sendError(reply: FastifyReply, e: ApiError): FastifyReply {
  return reply
    .code(e.status)
    .type('application/json')
    .send({ error: { code: e.code, message: e.message, ...(e.host ? { host: e.host } : {}) } });
}

function sameOrigin(req: FastifyRequest): boolean {
  const origin = req.headers.origin;
  if (!origin) return true;
  try {
    const o = new URL(origin);
    // compare as URLs, so a default port written out on one side still matches
    return o.host === new URL(`${o.protocol}//${req.headers.host ?? ''}`).host;
  } catch {
    return false;
  }
}

export async function createMiniweb(opts: MiniwebOptions): Promise<Miniweb> {
  const pinned = opts.namespace ?? '';
  const log = opts.log ?? (() => {});
  const data = new MiniwebData({
    daemon: opts.daemon,
    ...(opts.screenshotTtlMs !== undefined ? { screenshotTtlMs: opts.screenshotTtlMs } : {}),
  });
  const sessions = new Sessions();
  const publicDir = opts.publicDir ?? defaultPublicDir();
  const app = Fastify({ logger: false, bodyLimit: 1 << 20 });
  // the VM list of a big experiment is mostly repeated keys: gzip makes it ~10x smaller
  await app.register(compress, { threshold: 2048, encodings: ['br', 'gzip'] });
  await app.register(websocket, { options: { maxPayload: 1 << 20 } });

  const namespaceOf = (req: FastifyRequest): string => {
    const q = (req.query ?? {}) as Record<string, unknown>;
    const asked = typeof q.namespace === 'string' ? q.namespace : '';
    if (pinned) {
      if (asked && asked !== pinned) {
        throw new ForbiddenError(`miniweb is pinned to namespace ${pinned}`);
      }
      return pinned;
    }
    return asked;
  };

  // -- authentication and roles, before anything else runs
  app.addHook('onRequest', async (req, reply) => {
    const cfg = req.routeOptions.config;
    if (cfg?.public) return;
    const who = authenticate(req, opts.tokens, sessions);
    const isApi = req.url.startsWith('/api/');
    if (!who) {
      if (isApi) return sendError(reply, new UnauthorizedError());
      return reply
        .code(401)
        .type('text/html; charset=utf-8')
        .send(renderPage({ page: 'login' }));
    }
    req.principal = who;
    if (who.via === 'query') {
      const id = sessions.open(who.role);
      reply.header('set-cookie', sessionCookie(id, req.protocol === 'https'));
      // a page opened with ?token= is reloaded without it, so the token leaves the address bar
      if (!isApi && req.method === 'GET' && !req.headers.upgrade) {
        const u = new URL(req.url, 'http://x');
        u.searchParams.delete('token');
        return reply.redirect(u.pathname + u.search, 302);
      }
    }
    const unsafe = req.method !== 'GET' && req.method !== 'HEAD';
    if ((who.via === 'cookie' && unsafe) || req.headers.upgrade) {
      // cookies ride along on cross-site requests: demand our own origin
      if (!sameOrigin(req))
        return sendError(reply, new ForbiddenError('cross-origin request refused'));
    }
    const need = cfg?.role ?? (unsafe ? 'admin' : 'viewer');
    if (need === 'admin' && who.role !== 'admin') return sendError(reply, new ForbiddenError());
  });

  app.setErrorHandler((e: unknown, _req, reply) => {
    if (e instanceof ApiError) return sendError(reply, e);
    const err = e instanceof Error ? e : new Error(String(e));
    const status = (err as { statusCode?: number }).statusCode ?? 500;
    if (status >= 400 && status < 500) {
      return sendError(reply, new ApiError('bad_request', status, err.message));
    }
    log(`internal error: ${err.stack ?? err.message}`);
    return sendError(reply, new ApiError('command_failed', 500, err.message));
  });

  app.setNotFoundHandler((req, reply) => {
    if (!req.principal) {
      // unmatched routes still need a token: do not reveal which paths exist
      const who = authenticate(req, opts.tokens, sessions);
      if (!who) return sendError(reply, new UnauthorizedError());
    }
    return sendError(reply, new NotFoundError(`no route ${req.method} ${req.url.split('?')[0]}`));
  });

  // -- API
  for (const r of API_ROUTES) {
    const url = `/api/v1${r.path}`;
    if (r.response === 'websocket') {
      app.get(url, { websocket: true, config: { role: r.role } }, async (socket, req) => {
        let ns = '';
        let name = '';
        try {
          ns = namespaceOf(req);
          name = parse(NameParams, req.params, 'path').name;
          const vm = await data.getVm(ns, name);
          await bridgeVnc(
            socket,
            opts.daemon.base,
            {
              namespace: vm.namespace,
              vm: vm.name,
              host: vm.host,
              viewOnly: req.principal?.role !== 'admin',
            },
            log,
          );
        } catch (e) {
          log(`vnc ${ns}/${name}: ${(e as Error).message}`);
          socket.close(
            e instanceof NotFoundError ? 4404 : 4500,
            (e as Error).message.slice(0, 120),
          );
        }
      });
      continue;
    }
    if (r.response === 'png') {
      app.get(url, { config: { role: r.role } }, async (req, reply) => {
        const ns = namespaceOf(req);
        const { name } = parse(NameParams, req.params, 'path');
        const { size } = parse(ScreenshotQuery, req.query, 'query');
        const shot = await data.screenshot(ns, name, size);
        reply.header('etag', shot.etag).header('cache-control', 'private, no-cache');
        if (req.headers['if-none-match'] === shot.etag) return reply.code(304).send();
        return reply.type('image/png').send(shot.png);
      });
      continue;
    }
    const handler = r.handler!;
    app.route({
      method: r.method,
      url,
      config: { role: r.role },
      handler: async (req, reply) => {
        const out = await handler({
          params: r.params ? parse(r.params, req.params, 'path') : {},
          query: r.query ? parse(r.query, req.query, 'query') : {},
          body: r.body ? parse(r.body, req.body, 'body') : undefined,
          namespace: namespaceOf(req),
          role: req.principal!.role,
          data,
          pinned,
        });
        return reply.code(r.status ?? 200).send(out);
      },
    });
  }

  const openapi = openApiDocument(API_ROUTES, VERSION);
  app.get('/api/v1/openapi.json', { config: { role: 'viewer' } }, async () => openapi);

  app.post('/api/v1/session', { config: { public: true } }, async (req, reply) => {
    if (!sameOrigin(req)) throw new ForbiddenError('cross-origin request refused');
    const { token } = parse(SessionRequestSchema, req.body, 'body');
    const role = opts.tokens.role(token);
    if (!role) throw new UnauthorizedError('unknown token');
    const id = sessions.open(role);
    reply.header('set-cookie', sessionCookie(id, req.protocol === 'https'));
    return { role, namespace: pinned };
  });
  app.delete('/api/v1/session', { config: { public: true } }, async (req, reply) => {
    const sid = readCookie(req.headers.cookie, SESSION_COOKIE);
    if (sid) sessions.close(sid);
    reply.header('set-cookie', clearedSessionCookie());
    return reply.code(204).send();
  });

  // -- pages
  const page =
    (name: PageName, extra: (req: FastifyRequest) => Record<string, string> = () => ({})) =>
    async (req: FastifyRequest, reply: FastifyReply) => {
      const ns = namespaceOf(req);
      return reply
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-store')
        .send(
          renderPage({
            page: name,
            data: { role: req.principal?.role ?? '', namespace: ns, pinned, ...extra(req) },
          }),
        );
    };
  app.get('/', page('vms'));
  app.get('/hosts', page('hosts'));
  app.get('/mesh', page('mesh'));
  app.get(
    '/vm/:name',
    page('console', (req) => ({ vm: parse(NameParams, req.params, 'path').name })),
  );
  app.get('/login', { config: { public: true } }, async (_req, reply) =>
    reply.type('text/html; charset=utf-8').send(renderPage({ page: 'login' })),
  );

  // -- static assets (bundled at build time; no CDN)
  const assets = new Map<string, Buffer>();
  app.get('/static/:file', { config: { public: true } }, async (req, reply) => {
    const file = (req.params as { file: string }).file;
    const type = CONTENT_TYPES[extname(file)];
    if (!/^[\w.-]+$/.test(file) || !type) throw new NotFoundError(`no asset ${file}`);
    let body = assets.get(file);
    if (!body) {
      try {
        body = await readFile(join(publicDir, file));
      } catch {
        throw new NotFoundError(`no asset ${file} (is miniweb built?)`);
      }
      assets.set(file, body);
    }
    return reply.type(type).header('cache-control', 'public, max-age=300').send(body);
  });

  return {
    app,
    data,
    sessions,
    async listen(addr: string) {
      const m = /^(.*):(\d+)$/.exec(addr);
      if (!m) throw new BadRequestError(`-addr: expected host:port, got ${addr}`);
      const host = (m[1] || '127.0.0.1').replace(/^\[|\]$/g, '');
      await app.listen({ host, port: Number(m[2]) });
      const a = app.server.address();
      const port = typeof a === 'object' && a ? a.port : Number(m[2]);
      const shown = host.includes(':') ? `[${host}]` : host;
      return { host, port, url: `http://${shown}:${port}` };
    },
    async close() {
      await app.close();
      await opts.daemon.close();
    },
  };
}
