// The local VmHost: owns this host's VMs (by namespace), the node-wide id
// counter, instance dirs, NIC taps (through a NicAttacher) and state
// transitions; each VM type runs through its plugged-in driver.

import { writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { cloneVmConfig } from '../config.js';
import { configFile } from '../config-file.js';
import { VmCommandError } from '../errors.js';
import { generateUuid, randomMac } from '../ids.js';
import { DEFAULT_BRIDGE, type NetConfig } from '../netspec.js';
import { instanceArgv } from '../reattach.js';
import { tracePhase } from '../trace.js';
import { isKillable, KvmVm } from '../vm.js';
import { WriteGate } from '../write-gate.js';
import { VmLaunchError, VmNotFoundError, VmTypeError } from './errors.js';
import { RecordWriter, toRecord } from './record.js';
import { applyTargets, expandTargets, requireFound } from './targets.js';
import { topRow, vmNetBytes } from './top.js';
import type {
  HostLoad,
  LaunchRequest,
  LaunchResult,
  LocalVmHostOptions,
  OpOptions,
  SaveStatus,
  VmCdromOp,
  VmHost,
  VmHotplugOp,
  VmNetOp,
  VmRecord,
  VmRef,
  VmSelector,
  VmTagOp,
  VmType,
  VmTypeDriver,
} from './types.js';

const NAME_RE = /^[a-zA-Z0-9-_.]+$/;

/**
 * Processes started at once by one launch: a few per CPU. Thousands must not
 * fork together, and a burst of QEMUs initialising on a small host starves
 * the daemon itself (its mesh heartbeats stop and peers drop it).
 */
const defaultParallelism = () => Math.max(4, 2 * hostCpus());

/** os.cpus() parses /proc/cpuinfo on every call (ms on a big host): ask once, the count does not change */
let cpuCount = 0;
const hostCpus = (): number => {
  if (cpuCount === 0) cpuCount = cpus().length;
  return cpuCount;
};
const hostMemMb = Math.floor(totalmem() / 1024 / 1024);

interface NsVms {
  vms: Map<number, KvmVm>;
  /** counter for unnamed VMs (`vm-N`), never reset by flush */
  unnamed: number;
  /** serializes launches so name/UUID checks and inserts do not race */
  launching: Promise<unknown>;
}

async function mapLimit<T, R>(
  items: T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export interface LocalVmHost extends VmHost {
  /** the live VM objects of a namespace (tests; the daemon's own readers use list()) */
  vmsOf(namespace: string): KvmVm[];
  /** namespaces that hold VMs here */
  namespaces(): string[];
  /** this host's load, synchronously (for `host` columns) */
  load(): HostLoad;
  /** plugs in (or replaces) the driver of a VM type (the container module adds 'container') */
  setDriver(type: VmType, driver: VmTypeDriver): void;
  /**
   * `-recover`: takes over the VMs a crashed daemon recorded (their vm.json):
   * same ids, names, UUIDs, config and state; live processes are reattached
   * through their driver, dead ones show QUIT/ERROR with the reason. Ids of
   * later launches never collide with them.
   */
  adopt(records: VmRecord[], opts?: OpOptions): Promise<AdoptResult>;
}

/** What `adopt` did, per VM. */
export interface AdoptResult {
  /** reattached to their running process */
  adopted: VmRecord[];
  /** listed without a process (QUIT/ERROR), with why */
  stopped: { record: VmRecord; reason: string }[];
  /** not taken at all (a clash with a VM already here), with why */
  skipped: { record: VmRecord; reason: string }[];
}

export function createLocalVmHost(options: LocalVmHostOptions): LocalVmHost {
  const opts = { ...options, drivers: { ...options.drivers } };
  const byNs = new Map<string, NsVms>();
  const gate = new WriteGate();
  const writer = new RecordWriter(gate);
  const writesHeld = () => gate.passed();
  let nextId = 0;
  let closed = false;
  const log = opts.log ?? (() => {});

  const nsOf = (name: string): NsVms => {
    let st = byNs.get(name);
    if (!st) {
      st = { vms: new Map(), unnamed: 0, launching: Promise.resolve() };
      byNs.set(name, st);
    }
    return st;
  };
  const allVms = (): KvmVm[] => [...byNs.values()].flatMap((s) => [...s.vms.values()]);
  const vmsIn = (ns: string): KvmVm[] => [...(byNs.get(ns)?.vms.values() ?? [])];
  const select = (sel: VmSelector) => expandTargets(sel.targets, vmsIn(sel.namespace));
  const one = (ref: VmRef): KvmVm => {
    const t = expandTargets([ref.name], vmsIn(ref.namespace));
    const vm = t.wild ? undefined : t.vms[0];
    if (!vm || t.vms.length !== 1) throw new VmNotFoundError(ref.name);
    return vm;
  };
  const persist = (vm: KvmVm) => writer.write(vm);
  /**
   * After start/stop/kill: each state change already scheduled its record,
   * written just after the answer. A crash in between leaves a QEMU's record
   * one change behind, which `-recover` corrects from QEMU itself
   * (query-status); the records of VMs that cannot say their state
   * (containers) are awaited before answering.
   */
  const persistUnreported = async (op: string, vms: KvmVm[]) => {
    tracePhase(-1, op, 'applied');
    await Promise.all(vms.filter((vm) => !vm.reportsRunState).map(persist));
    tracePhase(-1, op, 'persisted');
  };
  /** the networking side's qos per tap, so `vm info` shows it wherever the VM runs */
  const withQos = (r: VmRecord): VmRecord => {
    const qosOf = opts.nics?.tapQos?.bind(opts.nics);
    if (!qosOf) return r;
    for (const t of r.taps) {
      const q = t.tap ? qosOf(t.tap) : undefined;
      if (q) t.qos = q;
    }
    return r;
  };

  function serial<T>(st: NsVms, fn: () => Promise<T>): Promise<T> {
    const next = st.launching.then(fn, fn);
    st.launching = next.catch(() => {});
    return next;
  }

  function checkOpen(): void {
    if (closed) throw new VmLaunchError(`host ${opts.hostname} is shutting down`);
  }

  async function fetchFiles(c: LaunchRequest['config'], signal?: AbortSignal): Promise<void> {
    if (!opts.fetch) return;
    const paths = [c.kernel, c.initrd, c.cdrom, c.state, ...c.disks.map((x) => x.path)];
    for (const p of paths) if (p) await opts.fetch(p, { ...(signal ? { signal } : {}) });
  }

  async function deleteTaps(vm: KvmVm): Promise<void> {
    for (const nic of vm.config.networks) {
      if (!nic.tap || !opts.nics) continue;
      await opts.nics.deleteTap({ bridge: nic.bridge, tap: nic.tap }).catch((err: unknown) => {
        log('warn', `unable to delete tap ${nic.tap}: ${(err as Error).message}`);
      });
    }
  }

  /** removes a QUIT/ERROR VM: taps, instance dir (and vm.json), map entry */
  async function flushOne(st: NsVms, vm: KvmVm): Promise<void> {
    await deleteTaps(vm);
    await writer.settle(vm);
    await vm.flush();
    st.vms.delete(vm.id);
  }

  async function launchOne(vm: KvmVm, ns: string, signal?: AbortSignal): Promise<string> {
    // killed (`vm kill`) while waiting for its turn: nothing to start
    if (vm.state !== 'BUILDING') return '';
    try {
      signal?.throwIfAborted();
      for (const nic of vm.config.networks) {
        if (nic.tap || !opts.nics || opts.drivers[vm.type]?.ownsNics) continue;
        nic.tap = await opts.nics.createTap({
          namespace: ns,
          vm: vm.name,
          bridge: nic.bridge,
          vlan: nic.vlan,
          mac: nic.mac,
          ...(signal ? { signal } : {}),
        });
      }
    } catch (err) {
      // no tap, no process: the VM shows ERROR with the reason
      vm.state = 'ERROR';
      vm.config.tags.error = signal?.aborted
        ? 'launch cancelled'
        : `unable to create tap: ${(err as Error).message}`;
      return vm.config.tags.error;
    }
    const err = await vm.launch(signal);
    await writeFile(join(vm.instanceDir, 'config'), configFile(vm.config)).catch(() => {});
    await persist(vm);
    return err;
  }

  const host: LocalVmHost = {
    name: opts.hostname,

    async launch(req: LaunchRequest, o: OpOptions = {}): Promise<LaunchResult> {
      checkOpen();
      const driver = opts.drivers[req.type];
      if (!driver) throw new VmTypeError(`${req.type} VMs are not supported on ${opts.hostname}`);
      if (req.names.length === 0) throw new VmLaunchError('no VMs to launch');
      const base = req.config;
      if (req.names.length > 1 && base.uuid)
        throw new VmLaunchError('cannot launch multiple VMs with a pre-configured UUID');
      for (const name of req.names) {
        if (name !== '' && !NAME_RE.test(name)) {
          throw new VmLaunchError(
            `invalid name; must only include letters, numbers, hyphens and underscores: \`${name}\``,
          );
        }
      }
      const st = nsOf(req.namespace);
      return serial(st, async () => {
        o.signal?.throwIfAborted();
        const existing = [...st.vms.values()];
        const taken = new Set(existing.map((v) => v.name));
        for (const name of req.names) {
          if (taken.has(name)) throw new VmLaunchError(`vm already exists with name \`${name}\``);
        }
        if (base.uuid && existing.some((v) => v.config.uuid === base.uuid)) {
          throw new VmLaunchError(`vm already exists with UUID \`${base.uuid}\``);
        }
        const limit = opts.vmlimit ?? 0;
        const count = allVms().length;
        if (limit > 0 && count + req.names.length > limit) {
          throw new VmLaunchError(
            `too many VMs for ${opts.hostname}: ${req.names.length} more would make ${count + req.names.length} (limit ${limit})`,
          );
        }
        const ratio = opts.memOvercommit ?? 0;
        if (ratio > 0) {
          const { memcommit, memtotal } = host.load();
          const need = req.names.length * base.memory;
          const cap = Math.floor(ratio * memtotal);
          if (memcommit + need > cap) {
            throw new VmLaunchError(
              `not enough memory on ${opts.hostname}: ${req.names.length} VM(s) × ${base.memory} MB need ${need} MB; ${Math.max(0, cap - memcommit)} of ${cap} MB left (memory overcommit ${ratio} × ${memtotal} MB)`,
            );
          }
        }
        if (base.networks.length > 0 && !opts.nics) {
          throw new VmLaunchError('unable to create taps: the networking module is not running');
        }
        await fetchFiles(base, o.signal);
        if (opts.checkFile) {
          const files = [base.kernel, base.initrd, base.cdrom, ...base.disks.map((x) => x.path)];
          for (const f of files) {
            if (!f) continue;
            try {
              await opts.checkFile(f, 'disk');
            } catch (err) {
              throw new VmLaunchError((err as Error).message);
            }
          }
        }
        const vms: KvmVm[] = [];
        for (const name of req.names) {
          const config = cloneVmConfig(base);
          if (!config.uuid) config.uuid = generateUuid();
          for (const n of config.networks) if (!n.mac) n.mac = randomMac();
          for (const other of [...existing, ...vms]) {
            for (const disk of config.disks) {
              const clash = other.config.disks.find((x) => x.path === disk.path);
              if (clash && (!config.snapshot || !other.config.snapshot)) {
                throw new VmLaunchError(`disk conflict with vm ${other.name}: ${disk.path}`);
              }
            }
          }
          const vm: KvmVm = new KvmVm({
            id: nextId++,
            name: name || `vm-${st.unnamed++}`,
            namespace: req.namespace,
            host: opts.hostname,
            type: req.type,
            config,
            baseDir: opts.baseDir,
            filesDir: opts.filesDir,
            driver,
            ...(opts.nics ? { nics: opts.nics } : {}),
            ...(opts.vncHost !== undefined ? { vncHost: opts.vncHost } : {}),
            onChange: () => void persist(vm),
            writesHeld,
            log: (level, msg) => log(level, msg),
          });
          vms.push(vm);
        }
        for (const vm of vms) st.vms.set(vm.id, vm);
        const errors = await mapLimit(vms, opts.launchParallelism ?? defaultParallelism(), (vm) =>
          launchOne(vm, req.namespace, o.signal),
        );
        return { records: vms.map(toRecord), errors: errors.filter((e) => e !== '') };
      });
    },

    async adopt(records, o = {}) {
      checkOpen();
      const result: AdoptResult = { adopted: [], stopped: [], skipped: [] };
      for (const r of [...records].sort((a, b) => a.id - b.id)) {
        const st = nsOf(r.namespace);
        const clash = allVms().find((v) => v.id === r.id);
        if (clash || [...st.vms.values()].some((v) => v.name === r.name)) {
          result.skipped.push({ record: r, reason: `vm ${r.name} (id ${r.id}) is already here` });
          continue;
        }
        nextId = Math.max(nextId, r.id + 1);
        const unnamed = /^vm-(\d+)$/.exec(r.name);
        if (unnamed) st.unnamed = Math.max(st.unnamed, Number(unnamed[1]) + 1);
        const driver = opts.drivers[r.type];
        const config = { ...cloneVmConfig(r.config), tags: { ...r.config.tags, ...r.tags } };
        const vm: KvmVm = new KvmVm({
          id: r.id,
          name: r.name,
          namespace: r.namespace,
          host: opts.hostname,
          type: r.type,
          config,
          baseDir: opts.baseDir,
          filesDir: opts.filesDir,
          driver: driver ?? (opts.drivers.kvm as VmTypeDriver),
          launchTime: r.launchTime,
          ...(opts.nics ? { nics: opts.nics } : {}),
          ...(opts.vncHost !== undefined ? { vncHost: opts.vncHost } : {}),
          onChange: () => void persist(vm),
          writesHeld,
          log: (level, msg) => log(level, msg),
        });
        for (const h of r.hotplug) vm.hotplug.set(h.id, { file: h.file, version: h.version });
        st.vms.set(vm.id, vm);
        const live = r.state === 'BUILDING' || r.state === 'RUNNING' || r.state === 'PAUSED';
        let reason = '';
        if (live && r.pid > 0) {
          if (!driver?.reattach) {
            reason = `${r.type} VMs cannot be re-adopted: their process (pid ${r.pid}) was killed`;
            try {
              process.kill(r.pid, 'SIGKILL');
            } catch {
              // gone already
            }
          } else {
            try {
              const proc = await driver.reattach({
                id: r.id,
                pid: r.pid,
                config,
                instanceDir: vm.instanceDir,
                ...(o.signal ? { signal: o.signal } : {}),
                ...(opts.nics ? { nics: opts.nics } : {}),
              });
              reason = await vm.adopt(proc, r.state as 'BUILDING' | 'RUNNING' | 'PAUSED');
              if (!reason) {
                result.adopted.push(toRecord(vm));
                continue;
              }
            } catch (err) {
              reason = (err as Error).message;
              // never leave a process nobody manages: kill it when it still is this VM's
              if (instanceArgv(r.pid, vm.instanceDir)) {
                try {
                  process.kill(r.pid, 'SIGKILL');
                  reason += ' (its process was killed)';
                } catch {
                  // gone already
                }
              }
            }
          }
        } else if (live) reason = 'it had no process when the previous daemon stopped';
        if (!live && r.state === 'QUIT') await vm.restoreStopped('QUIT', '');
        else
          await vm.restoreStopped(
            'ERROR',
            live ? `lost while the daemon was down: ${reason}` : r.error || 'error',
          );
        result.stopped.push({ record: toRecord(vm), reason: live ? reason : r.state });
      }
      return result;
    },

    async list(q) {
      const vms =
        q.namespace === undefined ? allVms() : vmsIn(q.namespace).sort((a, b) => a.id - b.id);
      const picked = q.targets ? expandTargets(q.targets, vms).vms : vms;
      return picked.sort((a, b) => a.id - b.id).map((vm) => withQos(toRecord(vm)));
    },

    async start(sel, o = {}) {
      const t = select(sel);
      // the guests wait until every QEMU answered its `cont` (milliseconds);
      // else each later QEMU's main loop shares the CPU with all started guests
      for (const vm of t.vms) vm.background(true);
      const release = gate.hold();
      try {
        await applyTargets(t, (vm) =>
          vm.start({ wild: t.wild, ...(o.signal ? { signal: o.signal } : {}) }),
        );
      } finally {
        for (const vm of t.vms) vm.background(false);
        release();
        await persistUnreported('start', t.vms);
      }
    },

    async stop(sel, o = {}) {
      const t = select(sel);
      try {
        await applyTargets(t, (vm) => vm.stop(o.signal));
      } finally {
        await persistUnreported('stop', t.vms);
      }
    },

    async kill(sel) {
      const t = select(sel);
      try {
        await applyTargets(t, (vm) => vm.kill());
      } finally {
        await persistUnreported('kill', t.vms);
      }
    },

    async flush(sel) {
      const st = byNs.get(sel.namespace);
      const t = select(sel);
      requireFound(t);
      if (!st) return;
      const single = !t.wild;
      const errors: string[] = [];
      await Promise.all(
        t.vms.map(async (vm) => {
          if (isKillable(vm.state)) return;
          try {
            await flushOne(st, vm);
          } catch (err) {
            if (single) errors.push((err as Error).message);
            else log('error', `flush ${vm.name}: ${(err as Error).message}`);
          }
        }),
      );
      if (errors.length > 0) throw new VmCommandError(errors.join('\n'));
    },

    async stats() {
      return host.load();
    },

    load() {
      const vms = allVms();
      const live = vms.filter((v) => isKillable(v.state));
      return {
        name: opts.hostname,
        vms: vms.length,
        cpucommit: live.reduce((s, v) => s + v.config.vcpus, 0),
        memcommit: live.reduce((s, v) => s + v.config.memory, 0),
        netcommit: live.reduce((s, v) => s + v.config.networks.length, 0),
        cpus: hostCpus(),
        memtotal: hostMemMb,
        vmlimit: opts.vmlimit ?? 0,
        ...(opts.memOvercommit ? { memovercommit: opts.memOvercommit } : {}),
      };
    },

    async tag(sel, op: VmTagOp) {
      const t = select(sel);
      if (op.op === 'set' && op.key === 'all')
        throw new VmCommandError('cannot assign to wildcard');
      await applyTargets(t, async (vm) => {
        if (op.op === 'set') vm.config.tags[op.key] = op.value;
        else if (op.key === 'all')
          for (const k of Object.keys(vm.config.tags)) delete vm.config.tags[k];
        else delete vm.config.tags[op.key];
        await persist(vm);
        return true;
      });
    },

    async screenshot(ref, max) {
      return one(ref).screenshot(max);
    },

    async qmp(ref, json) {
      return one(ref).qmp(json);
    },

    async cdrom(sel, op: VmCdromOp) {
      const t = select(sel);
      // checked once, here, on the host whose QEMU opens it
      requireFound(t);
      const path =
        op.op === 'change' && opts.checkFile && t.vms.length > 0
          ? await opts.checkFile(op.path, 'cdrom')
          : '';
      await applyTargets(t, async (vm) => {
        if (op.op === 'eject') await vm.cdromEject(op.force);
        else await vm.cdromChange(path || op.path, op.force);
        await persist(vm);
        return true;
      });
    },

    async hotplug(sel, op: VmHotplugOp) {
      const t = select(sel);
      // checked once, here, on the host whose QEMU opens it
      requireFound(t);
      const file =
        op.op === 'add' && opts.checkFile && t.vms.length > 0
          ? await opts.checkFile(op.file, 'hotplug')
          : '';
      await applyTargets(t, async (vm) => {
        if (op.op === 'add') {
          await vm.hotplugAdd(file || op.file, op.version, op.serial);
        } else {
          try {
            if (op.disk === 'all') {
              if (vm.hotplug.size === 0) throw new VmCommandError('no hotplug devices to remove');
              for (const id of [...vm.hotplug.keys()]) await vm.hotplugRemove(id);
            } else await vm.hotplugRemove(op.disk);
          } catch (err) {
            if (!t.wild) throw err;
          }
        }
        await persist(vm);
        return true;
      });
    },

    async net(sel, op: VmNetOp, o = {}) {
      const nics = opts.nics;
      if (!nics)
        throw new VmCommandError(
          'unable to change VM networks: the networking module is not running',
        );
      const signal = o.signal ? { signal: o.signal } : {};
      const nicAt = (vm: KvmVm, pos: number): NetConfig => {
        const n = vm.config.networks.length;
        if (!Number.isInteger(pos) || pos < 0 || pos >= n) {
          throw new VmCommandError(`no network ${pos}, VM only has ${n} networks`);
        }
        return vm.config.networks[pos]!;
      };
      await applyTargets(select(sel), async (vm) => {
        if (op.op === 'add') {
          // a failed hot-plug does not stop the others; each failure is reported
          const failures: string[] = [];
          for (const spec of op.nics) {
            const nic = { ...spec };
            try {
              if (!nic.mac) nic.mac = randomMac();
              nic.tap = await nics.createTap({
                namespace: vm.namespace,
                vm: vm.name,
                bridge: nic.bridge,
                vlan: nic.vlan,
                mac: nic.mac,
                ...signal,
              });
              try {
                await vm.netAdd(nic);
              } catch (err) {
                await nics.deleteTap({ bridge: nic.bridge, tap: nic.tap }).catch(() => {});
                throw err;
              }
            } catch (err) {
              failures.push((err as Error).message);
            }
          }
          await writeFile(join(vm.instanceDir, 'config'), configFile(vm.config)).catch(() => {});
          await persist(vm);
          if (failures.length > 0) throw new VmCommandError(failures.join('\n'));
          return true;
        }
        const nic = nicAt(vm, op.position);
        if (op.op === 'connect') {
          const bridge = op.bridge || nic.bridge || DEFAULT_BRIDGE;
          if (nic.vlan >= 0 && nic.bridge && nic.bridge !== bridge) {
            await nics.disconnectTap?.({ bridge: nic.bridge, tap: nic.tap, ...signal });
          }
          if (!nics.connectTap) throw new VmCommandError('the networking module cannot move taps');
          await nics.connectTap({ bridge, tap: nic.tap, vlan: op.vlan, ...signal });
          nic.alias = op.alias;
          nic.vlan = op.vlan;
          nic.bridge = bridge;
        } else {
          if (nic.vlan < 0 && nic.bridge === '') return true;
          if (!nics.disconnectTap)
            throw new VmCommandError('the networking module cannot detach taps');
          await nics.disconnectTap({ bridge: nic.bridge, tap: nic.tap, ...signal });
          nic.bridge = '';
          nic.vlan = -1;
        }
        await writeFile(join(vm.instanceDir, 'config'), configFile(vm.config)).catch(() => {});
        await persist(vm);
        return true;
      });
    },

    async save(ref, target, o = {}) {
      const vm = one(ref);
      if (!isAbsolute(target.state) || (target.disk !== undefined && !isAbsolute(target.disk)))
        throw new VmCommandError('save paths must be absolute on the VM host');
      try {
        await vm.save(target, o.signal);
      } finally {
        await persist(vm);
      }
    },

    async saveStatus(namespace): Promise<SaveStatus[]> {
      const rows: SaveStatus[] = [];
      for (const vm of vmsIn(namespace).sort((a, b) => a.id - b.id)) {
        const s = await vm.migrateStatus().catch(() => undefined);
        if (s) rows.push({ id: vm.id, name: vm.name, status: s.status, complete: s.complete });
      }
      return rows;
    },

    async top(q, o = {}) {
      const vms = (q.namespace === undefined ? allVms() : vmsIn(q.namespace))
        .filter((vm) => vm.hasProcess)
        .sort((a, b) => a.id - b.id);
      const taps = (vm: KvmVm) => vm.config.networks.map((n) => n.tap).filter((t) => t !== '');
      const measure = (vm: KvmVm) => Promise.all([vm.sample(), vmNetBytes(taps(vm))] as const);
      const first = await Promise.all(vms.map(measure));
      await sleep(q.durationMs, undefined, o.signal ? { signal: o.signal } : {});
      const second = await Promise.all(vms.map(measure));
      return vms.map((vm, i) =>
        topRow(vm, first[i]![0], second[i]![0], first[i]![1], second[i]![1]),
      );
    },

    async destroyNamespace(namespace) {
      const st = byNs.get(namespace);
      if (!st) return;
      await Promise.all([...st.vms.values()].map((vm) => vm.kill().catch(() => false)));
      for (const vm of [...st.vms.values()]) {
        await flushOne(st, vm).catch((err: unknown) =>
          log('error', `flush ${vm.name}: ${(err as Error).message}`),
        );
      }
      byNs.delete(namespace);
    },

    setDriver(type, driver) {
      opts.drivers[type] = driver;
    },

    vmsOf: (namespace) => vmsIn(namespace).sort((a, b) => a.id - b.id),
    namespaces: () => [...byNs.keys()].filter((n) => (byNs.get(n)?.vms.size ?? 0) > 0).sort(),

    async close() {
      if (closed) return;
      closed = true;
      // like minimega's teardown: kill every VM, then flush them (taps, instance dirs)
      await Promise.all(allVms().map((vm) => vm.kill().catch(() => false)));
      for (const ns of [...byNs.keys()]) await host.destroyNamespace(ns);
      for (const d of new Set(Object.values(opts.drivers))) await d?.close?.();
    },

    async [Symbol.asyncDispose]() {
      await host.close();
    },
  };
  return host;
}
