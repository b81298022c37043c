// A VM as plain data (VmRecord), and writing it to `<instanceDir>/vm.json`
// atomically (tmp + rename) so `-recover` can re-adopt it (contract 4).
import { randomBytes } from 'node:crypto';
import { rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cloneVmConfig } from '../config.js';
import { tracePhase } from '../trace.js';
import type { KvmVm } from '../vm.js';
import type { WriteGate } from '../write-gate.js';
import type { VmRecord } from './types.js';

/** The VM as a record (its own copy of the config). */
export function toRecord(vm: KvmVm): VmRecord {
  return recordWith(vm, cloneVmConfig(vm.config));
}

/** The record around `config`; the writer passes the live config (serialized at once, never handed out). */
function recordWith(vm: KvmVm, config: VmRecord['config']): VmRecord {
  return {
    id: vm.id,
    name: vm.name,
    namespace: vm.namespace,
    host: vm.host,
    type: vm.type,
    state: vm.state,
    uuid: config.uuid,
    pid: vm.pid,
    launchTime: vm.launchTime,
    instanceDir: vm.instanceDir,
    config,
    taps: config.networks.map((n) => ({ tap: n.tap, bridge: n.bridge, vlan: n.vlan, mac: n.mac })),
    tags: { ...config.tags },
    vncPort: vm.vncPort,
    consolePort: vm.consolePort,
    ccActive: vm.ccActive,
    hotplug: [...vm.hotplug.entries()].map(([id, h]) => ({ id, file: h.file, version: h.version })),
    sockets: {
      ...(vm.qmpPath ? { qmp: vm.qmpPath } : {}),
      ...(vm.vncPort > 0 ? { vnc: join(vm.instanceDir, 'vnc') } : {}),
      ...(vm.consolePath ? { console: vm.consolePath } : {}),
    },
    error: config.tags.error ?? '',
  };
}

/**
 * Writes a VM's record on change: one write at a time per VM, the latest
 * state wins (changes that arrive during a write are folded into the next).
 */
export class RecordWriter {
  #busy = new Map<KvmVm, Promise<void>>();
  #dirty = new Set<KvmVm>();
  #gate: WriteGate | undefined;

  /** `gate`: writes wait while it is held (a bulk operation in flight) */
  constructor(gate?: WriteGate) {
    this.#gate = gate;
  }

  /** schedule a write of `vm`'s record; resolves once it (or a later one) is on disk */
  write(vm: KvmVm): Promise<void> {
    this.#dirty.add(vm);
    const running = this.#busy.get(vm);
    if (running) return running.then(() => this.#drain(vm));
    return this.#drain(vm);
  }

  #drain(vm: KvmVm): Promise<void> {
    const existing = this.#busy.get(vm);
    if (existing) return existing;
    const p = (async () => {
      // after the current turn: the answer to the command that made the
      // change goes out first, and the changes of a bulk operation made in
      // the same turn are written once
      await new Promise((r) => setImmediate(r));
      await this.#gate?.passed();
      while (this.#dirty.has(vm)) {
        this.#dirty.delete(vm);
        await writeAtomic(
          join(vm.instanceDir, 'vm.json'),
          JSON.stringify(recordWith(vm, vm.config), null, 1),
        );
        tracePhase(vm.id, vm.state, 'record-file');
      }
    })().finally(() => this.#busy.delete(vm));
    this.#busy.set(vm, p);
    return p;
  }

  /** waits for pending writes of `vm` (before its instance dir goes away) */
  async settle(vm: KvmVm): Promise<void> {
    this.#dirty.delete(vm);
    await this.#busy.get(vm);
  }
}

/** unique temp names: a counter (random bytes per write cost more than the write's bookkeeping) */
let tmpSeq = 0;
const tmpTag = randomBytes(4).toString('hex');

async function writeAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.${tmpTag}${(tmpSeq++).toString(36)}.tmp`;
  try {
    await writeFile(tmp, text);
    await rename(tmp, path);
  } catch {
    // the instance dir is not there (yet, or any more): nothing to keep
    await unlink(tmp).catch(() => {});
  }
}
