// Where a VM's VNC unix socket is on this host, found on disk so the vnc
// module needs no handle on the VM module's objects: the namespace alias
// `<base>/namespaces/<ns>/<uuid>` → instance dir holding `name`, else each
// instance's `vm.json` record (contract 4: name, namespace, sockets.vnc).
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

export class VncVmNotFoundError extends Error {
  readonly code = 'ERR_VNC_VM_NOT_FOUND' as const;
  constructor(ns: string, name: string) {
    super(`vm not found: ${name} (namespace ${ns})`);
  }
}

export class VncNotKvmError extends Error {
  readonly code = 'ERR_VNC_NOT_KVM' as const;
  constructor(name: string) {
    super(`vm not KVM: ${name}`);
  }
}

export interface VncTarget {
  /** the VM's VNC unix socket */
  socket: string;
  instanceDir: string;
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

async function list(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch {
    return [];
  }
}

interface RecordLike {
  name?: unknown;
  namespace?: unknown;
  type?: unknown;
  instanceDir?: unknown;
  sockets?: { vnc?: unknown };
}

export async function findVncTarget(base: string, ns: string, name: string): Promise<VncTarget> {
  for (const entry of await list(join(base, 'namespaces', ns))) {
    const dir = join(base, 'namespaces', ns, entry);
    if ((await readText(join(dir, 'name')))?.trim() !== name) continue;
    const rec = await readText(join(dir, 'vm.json'));
    if (rec) {
      const r = JSON.parse(rec) as RecordLike;
      if (r.type !== undefined && r.type !== 'kvm') throw new VncNotKvmError(name);
      if (typeof r.sockets?.vnc === 'string') return { socket: r.sockets.vnc, instanceDir: dir };
    }
    return { socket: join(dir, 'vnc'), instanceDir: dir };
  }
  for (const entry of await list(base)) {
    if (!/^\d+$/.test(entry)) continue;
    const text = await readText(join(base, entry, 'vm.json'));
    if (!text) continue;
    let r: RecordLike;
    try {
      r = JSON.parse(text) as RecordLike;
    } catch {
      continue;
    }
    if (r.name !== name || r.namespace !== ns) continue;
    if (r.type !== undefined && r.type !== 'kvm') throw new VncNotKvmError(name);
    const dir = typeof r.instanceDir === 'string' ? r.instanceDir : join(base, entry);
    return {
      socket: typeof r.sockets?.vnc === 'string' ? r.sockets.vnc : join(dir, 'vnc'),
      instanceDir: dir,
    };
  }
  throw new VncVmNotFoundError(ns, name);
}
