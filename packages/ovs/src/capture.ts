// Packet captures of VM interfaces (`capture pcap vm ...`): one capture
// process per request writing a pcap file, kept per namespace so each
// namespace lists and stops only its own. The process is pluggable: the real
// one is tcpdump on the VM's tap, tests use a fake.
import { execa } from 'execa';
import { CaptureStartError } from './errors.js';

/** What a capture process is asked to record. */
export interface PcapSpec {
  /** the interface to read (a VM's tap) */
  iface: string;
  /** the pcap file to write (absolute) */
  path: string;
  /** bytes kept per packet; 0 = whole packets */
  snaplen: number;
  /** a BPF filter expression; '' = everything */
  filter: string;
}

/** A running capture process. */
export interface PcapProcess {
  /** resolves when the process has ended (stopped or failed) */
  readonly exited: Promise<void>;
  /** ends the capture, flushing the file; idempotent */
  stop(): Promise<void>;
}

/** Starts a capture; rejects (with the tool's message) when it cannot record. */
export type PcapStarter = (spec: PcapSpec) => Promise<PcapProcess>;

/** One active capture as `capture` lists it. */
export interface CaptureRecord {
  id: number;
  namespace: string;
  type: 'pcap';
  bridge: string;
  vm: string;
  /** the VM's interface index */
  index: number;
  path: string;
}

/** Per-namespace capture settings (`capture pcap snaplen|filter`). */
export interface CaptureSettings {
  snaplen: number;
  filter: string;
}

export interface Captures {
  settings(ns: string): CaptureSettings;
  /** starts a capture of a VM's interface (its tap on `bridge`) into `path` */
  captureVm(
    ns: string,
    vm: { name: string; index: number; tap: string; bridge: string },
    path: string,
  ): Promise<CaptureRecord>;
  /** active captures of a namespace, oldest first */
  list(ns: string): CaptureRecord[];
  /** stops the captures of one VM (or every VM capture with 'all') of a namespace */
  stopVm(ns: string, vm: string): Promise<void>;
  /** stops every capture of a namespace and forgets its settings */
  stopAll(ns: string): Promise<void>;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** minimega's default snaplen (gopacket's 1600-byte default). */
export const DEFAULT_SNAPLEN = 1600;

export function createCaptures(opts: { start: PcapStarter }): Captures {
  const running = new Map<number, { rec: CaptureRecord; proc: PcapProcess }>();
  const settings = new Map<string, CaptureSettings>();
  let nextId = 0;

  const stop = async (ids: number[]) => {
    const procs = ids.flatMap((id) => {
      const r = running.get(id);
      running.delete(id);
      return r ? [r.proc] : [];
    });
    await Promise.all(procs.map((p) => p.stop()));
  };
  const ofNs = (ns: string) => [...running.values()].filter((r) => r.rec.namespace === ns);

  const api: Captures = {
    settings(ns) {
      let s = settings.get(ns);
      if (!s) {
        s = { snaplen: DEFAULT_SNAPLEN, filter: '' };
        settings.set(ns, s);
      }
      return s;
    },
    async captureVm(ns, vm, path) {
      const s = api.settings(ns);
      const proc = await opts.start({ iface: vm.tap, path, snaplen: s.snaplen, filter: s.filter });
      const rec: CaptureRecord = {
        id: nextId++,
        namespace: ns,
        type: 'pcap',
        bridge: vm.bridge,
        vm: vm.name,
        index: vm.index,
        path,
      };
      running.set(rec.id, { rec, proc });
      // a capture whose process ended (its tap went away with the VM) is no longer active
      void proc.exited.then(() => {
        if (running.get(rec.id)?.proc === proc) running.delete(rec.id);
      });
      return rec;
    },
    list: (ns) => ofNs(ns).map((r) => ({ ...r.rec })),
    async stopVm(ns, vm) {
      await stop(
        ofNs(ns)
          .filter((r) => vm === 'all' || r.rec.vm === vm)
          .map((r) => r.rec.id),
      );
    },
    async stopAll(ns) {
      await stop(ofNs(ns).map((r) => r.rec.id));
      settings.delete(ns);
    },
    async close() {
      await stop([...running.keys()]);
    },
    [Symbol.asyncDispose]: () => api.close(),
  };
  return api;
}

/**
 * The real capture process: tcpdump writing packets as they arrive (-U),
 * staying root (-Z root) so it can write where minimega writes. Resolves
 * once tcpdump says it is listening; rejects with its message otherwise.
 */
export function tcpdumpStarter(opts: { bin?: string; readyMs?: number } = {}): PcapStarter {
  const bin = opts.bin ?? 'tcpdump';
  const readyMs = opts.readyMs ?? 10_000;
  return async (spec) => {
    const args = ['-i', spec.iface, '-w', spec.path, '-U', '-n', '-Z', 'root'];
    args.push('-s', String(spec.snaplen));
    if (spec.filter !== '') args.push(spec.filter);
    const child = execa(bin, args, { reject: false, stdin: 'ignore', stdout: 'ignore' });
    const exited = child.then(() => undefined);
    let stderr = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new CaptureStartError(spec.iface, `tcpdump did not start within ${readyMs} ms`));
      }, readyMs);
      child.stderr?.on('data', (b: Buffer) => {
        stderr += b.toString();
        if (/listening on/.test(stderr)) {
          clearTimeout(timer);
          resolve();
        }
      });
      void exited.then(() => {
        clearTimeout(timer);
        const why = stderr.trim().split('\n').pop() ?? '';
        reject(new CaptureStartError(spec.iface, why || 'tcpdump exited'));
      });
      child.catch((err: unknown) => {
        clearTimeout(timer);
        reject(err instanceof Error ? err : new Error(String(err)));
      });
    });
    return {
      exited,
      async stop() {
        // SIGINT: tcpdump flushes the file and exits
        child.kill('SIGINT');
        const t = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(t);
      },
    };
  };
}
