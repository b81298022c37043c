// Requests and replies: `send` routes one request per first hop carrying
// each host's path (source routing, so replies retrace it), every distinct
// host gets exactly one row; forwarding nodes check source routes and cut
// the hop limit to theirs; the target runs the kind's handler and replies.
// Rows fail early when their host leaves or a hop of their path goes.
import type { Core } from './core.js';
import {
  BadBodyError,
  HostDownError,
  type HostError,
  hostErrorFromWire,
  InvalidOptionError,
  MeshAbortedError,
  MeshTimeoutError,
  RouteLostError,
  SelfSendError,
  UnknownHostError,
} from './errors.js';
import type { Flooding } from './flooding.js';
import type { MessageKind } from './kinds.js';
import type { Peer, PeerTable } from './peers.js';
import type { Routes } from './topology.js';
import type { ReqFrame, ResFrame } from './wire.js';

export interface SendOptions {
  signal?: AbortSignal;
  /** total time to wait for all hosts, ms (default: the mesh's sendTimeoutMs; Infinity: none) */
  timeout?: number;
}

export type SendResult<T> =
  | { host: string; ok: true; value: T }
  | { host: string; ok: false; error: HostError };

export interface HandlerContext {
  /** the node that sent the request */
  from: string;
  /** aborted when this node closes */
  signal: AbortSignal;
}

export type Handler<Req, Res> = (body: Req, ctx: HandlerContext) => Res | Promise<Res>;

interface Row {
  host: string;
  via: string;
  /** the hops the request took (self … host); a request whose path breaks is lost */
  path: string[];
  settle(r: SendResult<unknown>): void;
}

interface Pending {
  rows: Map<string, Row>;
  kind: MessageKind<unknown, unknown>;
}

/** typed request/response between nodes (part of the Mesh API) */
export interface Messaging {
  /** serve requests of `kind`; returns an unregister function */
  handle<Req, Res>(kind: MessageKind<Req, Res>, handler: Handler<Req, Res>): () => void;
  /** one result per distinct host, in the order given */
  send<Req, Res>(
    hosts: readonly string[],
    kind: MessageKind<Req, Res>,
    body: Req,
    opts?: SendOptions,
  ): Promise<SendResult<Res>[]>;
}

export interface Requests extends Messaging {
  /** a request from a peer; an error string when it broke a bound */
  onReq(from: Peer, f: ReqFrame): string | undefined;
  /** a reply from a peer; an error string when it broke a bound */
  onRes(from: Peer, f: ResFrame): string | undefined;
  /** is anyone waiting for replies? */
  waiting(): boolean;
  /** new routes: fail rows whose host or path is gone */
  routed(routes: Routes): void;
  /** a direct peer left: fail rows routed through it */
  peerGone(name: string): void;
  /** fail every row (the node closes) */
  abortAll(): void;
}

export function createRequests(core: Core, peers: PeerTable, flooding: Flooding): Requests {
  const handlers = new Map<string, Handler<unknown, unknown>>();
  const kinds = new Map<string, MessageKind<unknown, unknown>>();
  const pending = new Map<number, Pending>();
  let msgId = 0;

  const fail = <T>(error: HostError): Promise<SendResult<T>> =>
    Promise.resolve({ host: error.host, ok: false, error });

  function sendReq(id: number, p: Pending, via: string, to: string[], kind: string, body: unknown) {
    const paths: Record<string, string[]> = {};
    for (const h of to) {
      const row = p.rows.get(h);
      if (row) paths[h] = row.path;
    }
    const frame: ReqFrame = {
      t: 'req',
      id,
      src: core.name,
      inc: core.incarnation,
      to,
      paths,
      kind,
      ttl: core.o.maxTtl,
      body,
    };
    if (!peers.sendTo(via, frame)) {
      for (const h of to) {
        p.rows.get(h)?.settle({ host: h, ok: false, error: new RouteLostError(h, via) });
      }
    }
  }

  /**
   * The hop after this node on a source route, checked: the route must be
   * loop-free, no longer than the hop limit, end at `dst`, and list the peer
   * the frame came from right before this node. An error for a forged route;
   * no `next` when the next hop is not a live peer.
   */
  function routeNext(
    path: readonly string[],
    dst: string,
    from: string,
  ): { next?: string; error?: string } {
    if (path.length < 2 || path.length > core.o.maxTtl + 1) return { error: 'route length' };
    if (path[path.length - 1] !== dst) return { error: 'route does not end at its target' };
    if (new Set(path).size !== path.length) return { error: 'route with a loop' };
    const i = path.indexOf(core.name);
    if (i < 1 || path[i - 1] !== from) return { error: `route does not come from ${from}` };
    const next = path[i + 1];
    return next !== undefined && peers.has(next) ? { next } : {};
  }

  function forward(f: ReqFrame, to: string[], hops: Map<string, string | undefined>): void {
    const groups = new Map<string, string[]>();
    for (const h of to) {
      const via = f.ttl > 1 ? hops.get(h) : undefined;
      if (!via) {
        reply(f, h, {
          ok: false,
          code: 'ERR_MESH_UNREACHABLE',
          msg:
            f.ttl > 1 ? `no route to ${h} from ${core.name}` : `hop limit reached at ${core.name}`,
        });
        continue;
      }
      const g = groups.get(via);
      if (g) g.push(h);
      else groups.set(via, [h]);
    }
    for (const [via, hosts] of groups) {
      const paths: Record<string, string[]> = {};
      for (const h of hosts) {
        const p = f.paths?.[h];
        if (p) paths[h] = p;
      }
      if (!peers.sendTo(via, { ...f, to: hosts, paths, ttl: f.ttl - 1 })) {
        for (const h of hosts) {
          reply(f, h, {
            ok: false,
            code: 'ERR_MESH_UNREACHABLE',
            msg: `no route to ${h} from ${core.name}`,
          });
        }
      }
    }
  }

  async function deliver(f: ReqFrame): Promise<void> {
    const handler = handlers.get(f.kind);
    const kind = kinds.get(f.kind);
    if (!handler || !kind) {
      reply(f, core.name, {
        ok: false,
        code: 'ERR_MESH_NO_HANDLER',
        msg: `${core.name} has no handler for message kind ${f.kind}`,
      });
      return;
    }
    let body = f.body;
    if (kind.request) {
      const parsed = kind.request.safeParse(f.body);
      if (!parsed.success) {
        reply(f, core.name, {
          ok: false,
          code: 'ERR_MESH_BAD_BODY',
          msg: `invalid message body: ${parsed.error.message}`,
        });
        return;
      }
      body = parsed.data;
    }
    try {
      const value = await handler(body, { from: f.src, signal: core.closing });
      reply(f, core.name, { ok: true, body: value });
    } catch (err) {
      reply(f, core.name, {
        ok: false,
        code: 'ERR_MESH_REMOTE',
        msg: err instanceof Error ? err.message : String(err),
      });
    }
  }

  function reply(
    f: ReqFrame,
    host: string,
    r: { ok: boolean; body?: unknown; code?: string; msg?: string },
  ): void {
    // retrace the request's hops (from here back to the source) when it carried them
    const fwd = f.paths?.[host];
    const at = fwd ? fwd.indexOf(core.name) : -1;
    const res: ResFrame = {
      t: 'res',
      re: f.id,
      inc: f.inc,
      src: host,
      dst: f.src,
      ttl: core.o.maxTtl,
      ...(fwd && at >= 0 ? { path: fwd.slice(0, at + 1).reverse() } : {}),
      ok: r.ok,
      body: r.body ?? null,
      ...(r.code ? { code: r.code } : {}),
      ...(r.msg !== undefined ? { msg: r.msg } : {}),
    };
    onRes(undefined, res);
  }

  function onRes(from: Peer | undefined, raw: ResFrame): string | undefined {
    const f = raw.ttl > core.o.maxTtl ? { ...raw, ttl: core.o.maxTtl } : raw;
    if (f.dst !== core.name) {
      if (f.ttl <= 1) return undefined;
      let via: string | undefined;
      if (f.path && from) {
        // source-routed: a broken hop drops the reply; the requester sees the broken path
        const r = routeNext(f.path, f.dst, from.name);
        if (r.error) return `response with a forged route: ${r.error}`;
        via = r.next;
      } else if (f.path) {
        // our own reply: we are the path's first hop
        const next = f.path[1];
        via = next !== undefined && peers.has(next) ? next : undefined;
      } else {
        via = flooding.routes().nextHop.get(f.dst);
      }
      if (via) peers.sendTo(via, { ...f, ttl: f.ttl - 1 });
      else core.log('debug', `dropping response for unreachable ${f.dst}`);
      return undefined;
    }
    settle(f);
    return undefined;
  }

  function settle(f: ResFrame): void {
    if (f.inc !== core.incarnation) return;
    const p = pending.get(f.re);
    const row = p?.rows.get(f.src);
    if (!p || !row) return;
    if (!f.ok) {
      row.settle({
        host: f.src,
        ok: false,
        error: hostErrorFromWire(f.src, f.code ?? '', f.msg ?? 'remote error'),
      });
      return;
    }
    let value = f.body;
    if (p.kind.response) {
      const parsed = p.kind.response.safeParse(f.body);
      if (!parsed.success) {
        row.settle({
          host: f.src,
          ok: false,
          error: new BadBodyError(f.src, parsed.error.message),
        });
        return;
      }
      value = parsed.data;
    }
    row.settle({ host: f.src, ok: true, value });
  }

  return {
    handle(kind, handler) {
      if (handlers.has(kind.name)) {
        throw new InvalidOptionError(`a handler for ${kind.name} is already registered`);
      }
      handlers.set(kind.name, handler as Handler<unknown, unknown>);
      kinds.set(kind.name, kind as MessageKind<unknown, unknown>);
      return () => {
        if (handlers.get(kind.name) === handler) {
          handlers.delete(kind.name);
          kinds.delete(kind.name);
        }
      };
    },

    async send<Req, Res>(
      hosts: readonly string[],
      kind: MessageKind<Req, Res>,
      body: Req,
      opts: SendOptions = {},
    ): Promise<SendResult<Res>[]> {
      const unique = [...new Set(hosts)];
      const results = new Map<string, Promise<SendResult<Res>>>();
      if (core.closed()) {
        for (const h of unique) results.set(h, fail(new MeshAbortedError(h)));
        return Promise.all(results.values());
      }
      const routes = flooding.routes();
      const id = ++msgId;
      const p: Pending = { rows: new Map(), kind: kind as MessageKind<unknown, unknown> };
      const groups = new Map<string, string[]>();
      for (const host of unique) {
        if (host === core.name) {
          results.set(host, fail(new SelfSendError(host)));
          continue;
        }
        const via = routes.nextHop.get(host);
        if (!via) {
          const known = flooding.db.get(host) !== undefined;
          results.set(
            host,
            fail(known ? new HostDownError(host, 'is unreachable') : new UnknownHostError(host)),
          );
          continue;
        }
        results.set(
          host,
          new Promise<SendResult<Res>>((resolve) => {
            p.rows.set(host, {
              host,
              via,
              path: routes.path(host) ?? [core.name, host],
              settle: (r) => {
                if (!p.rows.delete(host)) return;
                resolve(r as SendResult<Res>);
                if (p.rows.size === 0) pending.delete(id);
              },
            });
          }),
        );
        const g = groups.get(via);
        if (g) g.push(host);
        else groups.set(via, [host]);
      }
      if (p.rows.size === 0) return Promise.all(results.values());
      pending.set(id, p);
      const settleAll = (mk: (host: string) => HostError) => {
        for (const row of [...p.rows.values()]) {
          row.settle({ host: row.host, ok: false, error: mk(row.host) });
        }
      };
      let timer: NodeJS.Timeout | undefined;
      const deadline = opts.timeout ?? core.o.sendTimeoutMs;
      if (deadline >= 0 && Number.isFinite(deadline)) {
        timer = setTimeout(() => settleAll((h) => new MeshTimeoutError(h)), deadline);
      }
      const onAbort = () => settleAll((h) => new MeshAbortedError(h));
      if (opts.signal?.aborted) onAbort();
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      for (const [via, all] of groups) {
        // a request frame names at most maxTargets hosts (receivers refuse more)
        for (let at = 0; at < all.length; at += core.o.maxTargets) {
          sendReq(id, p, via, all.slice(at, at + core.o.maxTargets), kind.name, body);
        }
      }
      const out = await Promise.all(results.values());
      if (timer) clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      return out;
    },

    onReq(from, raw) {
      if (raw.to.length > core.o.maxTargets) {
        return `request to ${raw.to.length} hosts (limit ${core.o.maxTargets})`;
      }
      // the sender sets the hop limit, but never above ours
      const f = raw.ttl > core.o.maxTtl ? { ...raw, ttl: core.o.maxTtl } : raw;
      const to = [...new Set(f.to)];
      const mine = to.includes(core.name);
      const others = mine ? to.filter((h) => h !== core.name) : to;
      const hops = new Map<string, string | undefined>();
      for (const h of others) {
        const path = f.paths?.[h];
        if (!path) {
          hops.set(h, flooding.routes().nextHop.get(h));
          continue;
        }
        const r = routeNext(path, h, from.name);
        if (r.error) return `request with a forged route to ${h}: ${r.error}`;
        hops.set(h, r.next);
      }
      if (others.length > 0) forward(f, others, hops);
      if (mine) void deliver(f);
      return undefined;
    },

    onRes: (from, f) => onRes(from, f),

    waiting: () => pending.size > 0,

    routed(routes) {
      // requests to hosts that left the mesh fail now, not at their timeout
      for (const p of pending.values()) {
        for (const row of [...p.rows.values()]) {
          if (!routes.distance.has(row.host)) {
            row.settle({ host: row.host, ok: false, error: new HostDownError(row.host) });
            continue;
          }
          // a hop of its path went away: the request (or its answer) may be lost there
          const broken = flooding.brokenHop(row.path);
          if (broken) {
            row.settle({ host: row.host, ok: false, error: new RouteLostError(row.host, broken) });
          }
        }
      }
    },

    peerGone(name) {
      for (const p of pending.values()) {
        for (const row of [...p.rows.values()]) {
          if (row.via !== name) continue;
          const error =
            row.host === name
              ? new HostDownError(name, 'left the mesh')
              : new RouteLostError(row.host, name);
          row.settle({ host: row.host, ok: false, error });
        }
      }
    },

    abortAll() {
      for (const p of pending.values()) {
        for (const row of [...p.rows.values()]) {
          row.settle({ host: row.host, ok: false, error: new MeshAbortedError(row.host) });
        }
      }
      pending.clear();
    },
  };
}
