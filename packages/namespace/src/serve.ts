// Serving this node's VmHost to the mesh: requests are validated, run with
// an AbortSignal that fires when this node closes, and answered with the
// value or the error's code and message.
import type { Mesh } from '@mm/meshage';
import type { VmHost } from '@mm/qemu';
import { OP_ARGS, VmHostCall, type VmHostCallResponse, type VmHostOp } from './rpc.js';

type AnyOp = (...args: unknown[]) => Promise<unknown>;

export function serveVmHost(mesh: Mesh, host: VmHost): () => void {
  return mesh.handle(VmHostCall, async (req, ctx): Promise<VmHostCallResponse> => {
    const op: VmHostOp = req.op;
    const parsed = OP_ARGS[op].safeParse(req.args);
    if (!parsed.success) {
      return {
        ok: false,
        code: 'ERR_VM_BAD_REQUEST',
        message: `bad ${op} request from ${ctx.from}: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
      };
    }
    try {
      const fn = (host[op] as AnyOp).bind(host);
      const args = parsed.data as unknown[];
      // the options argument goes last: this node's lifetime bounds the work
      const value = await fn(...args, { signal: ctx.signal });
      return { ok: true, value: value ?? null };
    } catch (err) {
      const e = err as Error & { code?: string };
      return { ok: false, code: e.code ?? 'ERR_VM_REMOTE', message: e.message };
    }
  });
}
