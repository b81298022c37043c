// Serving this node's VmHost to the mesh: requests are validated, run with
// an AbortSignal that fires when this node closes or when the caller sends
// `cancel` for the call's id (its client went away), and answered with the
// value or the error's code and message. A call for namespace X makes X exist
// on this node too (`onNamespace`), as minimega's remote `namespace X <cmd>`
// does: `namespace` here lists it and `clear namespace X` tears it down.
import type { Mesh } from '@mm/meshage';
import type { VmHost } from '@mm/qemu';
import { OP_ARGS, VmHostCall, type VmHostCallResponse, type VmHostOp } from './rpc.js';

type AnyOp = (...args: unknown[]) => Promise<unknown>;

/** Most cancellable calls in flight at once per caller (older ones just are not cancellable). */
const MAX_CANCELLABLE = 4096;

export interface ServeVmHostOptions {
  /** called with the namespace a call acts in before it runs (e.g. the manager's getOrCreate) */
  onNamespace?: (namespace: string) => unknown;
}

/** The namespace a request acts in: its first argument's `namespace`, if any. */
function namespaceOf(args: readonly unknown[]): string | undefined {
  const first = args[0];
  if (typeof first !== 'object' || first === null || !('namespace' in first)) return undefined;
  const ns = (first as { namespace?: unknown }).namespace;
  return typeof ns === 'string' ? ns : undefined;
}

export function serveVmHost(mesh: Mesh, host: VmHost, opts: ServeVmHostOptions = {}): () => void {
  // calls in flight that their caller may cancel: `<caller>\0<id>` (a caller cancels only its own)
  const running = new Map<string, AbortController>();
  return mesh.handle(VmHostCall, async (req, ctx): Promise<VmHostCallResponse> => {
    if (req.op === 'cancel') {
      running.get(`${ctx.from}\0${req.id}`)?.abort(new Error(`cancelled by ${ctx.from}`));
      return { ok: true, value: null };
    }
    const op: VmHostOp = req.op;
    const parsed = OP_ARGS[op].safeParse(req.args);
    if (!parsed.success) {
      return {
        ok: false,
        code: 'ERR_VM_BAD_REQUEST',
        message: `bad ${op} request from ${ctx.from}: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
      };
    }
    const key = req.id !== undefined ? `${ctx.from}\0${req.id}` : undefined;
    let signal = ctx.signal;
    let unfollow = () => {};
    if (key !== undefined && !running.has(key) && running.size < MAX_CANCELLABLE) {
      const ac = new AbortController();
      running.set(key, ac);
      // not AbortSignal.any: on Node 20 its signal can be collected before it fires
      const follow = () => ac.abort(ctx.signal.reason);
      if (ctx.signal.aborted) follow();
      else ctx.signal.addEventListener('abort', follow, { once: true });
      unfollow = () => ctx.signal.removeEventListener('abort', follow);
      signal = ac.signal;
    }
    try {
      const fn = (host[op] as AnyOp).bind(host);
      const args = parsed.data as unknown[];
      const ns = namespaceOf(args);
      if (ns !== undefined) await opts.onNamespace?.(ns);
      // the options argument goes last: this node's lifetime and the caller's cancel bound the work
      const value = await fn(...args, { signal });
      return { ok: true, value: value ?? null };
    } catch (err) {
      const e = err as Error & { code?: string };
      return { ok: false, code: e.code ?? 'ERR_VM_REMOTE', message: e.message };
    } finally {
      if (key !== undefined && signal !== ctx.signal) running.delete(key);
      unfollow();
    }
  });
}
