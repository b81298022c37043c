// A VmHost on another node, reached with typed mesh messages: each call has
// a deadline and fails with the host's own error (by code), or a mesh error
// naming the host when it cannot be reached.
import { randomBytes } from 'node:crypto';
import type { Mesh } from '@mm/meshage';
import type { VmHost } from '@mm/qemu';
import { OP_RESULTS, VmHostCall, type VmHostOp } from './rpc.js';

export interface RemoteVmHostOptions {
  /** the mesh (looked up per call: it may start after the proxy is made) */
  mesh: () => Mesh | undefined;
  /** the remote node's mesh name */
  host: string;
  /** deadline of one call, ms (default 30 s); a function is asked per call (0 = default) */
  timeoutMs?: number | (() => number);
  /** deadline of a launch or save, ms (default 10 min: QEMUs start, files are fetched, disks copied) */
  launchTimeoutMs?: number;
}

/** An error a remote host answered with (its `code` is the host's). */
export class RemoteVmHostError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly host: string,
  ) {
    super(message);
    this.name = 'RemoteVmHostError';
  }
}

export function createRemoteVmHost(opts: RemoteVmHostOptions): VmHost {
  const timeoutOf = (): number => {
    const t = typeof opts.timeoutMs === 'function' ? opts.timeoutMs() : opts.timeoutMs;
    return t && t > 0 ? t : 30_000;
  };
  const deadline = (op: VmHostOp, args: unknown[]): number => {
    // launches start QEMUs and may fetch files; saves copy disks
    if (op === 'launch' || op === 'save') return opts.launchTimeoutMs ?? 600_000;
    // `vm top` samples for its window before it answers
    if (op === 'top') return timeoutOf() + ((args[0] as { durationMs?: number }).durationMs ?? 0);
    return timeoutOf();
  };
  async function call(op: VmHostOp, args: unknown[], signal?: AbortSignal): Promise<unknown> {
    const mesh = opts.mesh();
    if (!mesh) throw new RemoteVmHostError('ERR_MESH_DOWN', 'meshage is not running', opts.host);
    signal?.throwIfAborted();
    // a call with a signal gets an id: when the signal aborts (the client
    // went away, `vm kill`), the host is told to cancel the work too, not
    // only this side to stop waiting for it
    const id = signal ? randomBytes(12).toString('hex') : undefined;
    const cancel = () => {
      void mesh
        .send([opts.host], VmHostCall, { op: 'cancel', id: id as string }, { timeout: 10_000 })
        .catch(() => {});
    };
    signal?.addEventListener('abort', cancel, { once: true });
    const replies = await mesh
      .send(
        [opts.host],
        VmHostCall,
        { op, args, ...(id ? { id } : {}) },
        {
          timeout: deadline(op, args),
          ...(signal ? { signal } : {}),
        },
      )
      .finally(() => signal?.removeEventListener('abort', cancel));
    const [r] = replies;
    if (!r)
      throw new RemoteVmHostError('ERR_MESH_NO_REPLY', `no reply from ${opts.host}`, opts.host);
    if (!r.ok) throw r.error;
    const res = r.value;
    if (!res.ok) throw new RemoteVmHostError(res.code, res.message, opts.host);
    const schema = (OP_RESULTS as Partial<Record<VmHostOp, { parse(v: unknown): unknown }>>)[op];
    if (!schema) return undefined;
    try {
      return schema.parse(res.value);
    } catch (err) {
      throw new RemoteVmHostError(
        'ERR_VM_BAD_REPLY',
        `bad ${op} reply from ${opts.host}: ${(err as Error).message.slice(0, 200)}`,
        opts.host,
      );
    }
  }
  type R<K extends keyof VmHost> = VmHost[K] extends (...a: never[]) => Promise<infer T>
    ? T
    : never;
  const host: VmHost = {
    name: opts.host,
    launch: async (req, o = {}) => (await call('launch', [req], o.signal)) as R<'launch'>,
    list: async (q, o = {}) => (await call('list', [q], o.signal)) as R<'list'>,
    start: async (sel, o = {}) => void (await call('start', [sel], o.signal)),
    stop: async (sel, o = {}) => void (await call('stop', [sel], o.signal)),
    kill: async (sel, o = {}) => void (await call('kill', [sel], o.signal)),
    flush: async (sel, o = {}) => void (await call('flush', [sel], o.signal)),
    stats: async (o = {}) => (await call('stats', [], o.signal)) as R<'stats'>,
    tag: async (sel, op, o = {}) => void (await call('tag', [sel, op], o.signal)),
    screenshot: async (ref, max, o = {}) =>
      (await call('screenshot', [ref, max], o.signal)) as R<'screenshot'>,
    qmp: async (ref, json, o = {}) => (await call('qmp', [ref, json], o.signal)) as R<'qmp'>,
    cdrom: async (sel, op, o = {}) => void (await call('cdrom', [sel, op], o.signal)),
    hotplug: async (sel, op, o = {}) => void (await call('hotplug', [sel, op], o.signal)),
    net: async (sel, op, o = {}) => void (await call('net', [sel, op], o.signal)),
    save: async (ref, target, o = {}) => void (await call('save', [ref, target], o.signal)),
    saveStatus: async (ns, o = {}) => (await call('saveStatus', [ns], o.signal)) as R<'saveStatus'>,
    top: async (q, o = {}) => (await call('top', [q], o.signal)) as R<'top'>,
    destroyNamespace: async (ns, o = {}) => void (await call('destroyNamespace', [ns], o.signal)),
    async close() {},
    async [Symbol.asyncDispose]() {},
  };
  return host;
}
