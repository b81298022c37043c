// What the API serves, read from the daemon's commands. Each method runs one
// or two commands and maps their response rows; errors rows become warnings
// for lists and typed errors for single-VM operations.
import { goQuote, inNamespace, type WireResp } from '@mm/minimega/client';
import type { DaemonApi } from './daemon.js';
import { BadRequestError, CommandFailedError, NotFoundError } from './errors.js';
import type { Host, LaunchRequest, MeshGraph, Vm, VmList } from './schemas.js';
import { ScreenshotCache } from './screenshots.js';
import { hostFromRow, parseAdjacency, tableRows, vmFromRow } from './tables.js';

export interface MiniwebDataOptions {
  daemon: DaemonApi;
  /** screenshot cache lifetime, ms (default 5 s) */
  screenshotTtlMs?: number;
}

/** a word as the command lexer reads it back: bare when plain, Go-quoted otherwise */
const q = (s: string) => (/^[\w./:,=@+%-]+$/.test(s) ? s : goQuote(s));

function firstError(resps: readonly WireResp[]): WireResp | undefined {
  return resps.find((r) => r.Error !== '');
}

function fail(r: WireResp): never {
  if (/not found|no such vm/i.test(r.Error)) throw new NotFoundError(r.Error, r.Host);
  throw new CommandFailedError(r.Error, r.Host);
}

/** The data layer (one per miniweb). */
export class MiniwebData {
  readonly daemon: DaemonApi;
  readonly screenshots: ScreenshotCache;
  #launching: Promise<unknown> = Promise.resolve();
  /** the daemon's own host name, learned from its replies */
  #local = '';

  constructor(opts: MiniwebDataOptions) {
    this.daemon = opts.daemon;
    this.screenshots = new ScreenshotCache({ ttlMs: opts.screenshotTtlMs ?? 5000 });
  }

  /**
   * Every VM of the namespace on every host, sorted by host, id, name: the
   * daemon's `vm info` (namespace-wide where the daemon fans out) merged
   * with `mesh send all` of it, one row per host and name.
   */
  async listVms(ns: string): Promise<VmList> {
    const local = await this.daemon.run('vm info', { namespace: ns });
    if (local[0]?.Host) this.#local = local[0].Host;
    // a daemon that fans `vm info` out over the namespace's hosts answers
    // once per host; one that does not is asked to `mesh send` it
    const fannedOut = new Set(local.map((r) => r.Host)).size > 1;
    const remote = fannedOut
      ? []
      : await this.daemon
          .run(`mesh send all ${inNamespace(ns, 'vm info')}`)
          .catch(() => [] as WireResp[]);
    const mine = tableRows(local);
    const theirs = tableRows(remote);
    const seen = new Set<string>();
    const vms: Vm[] = [];
    for (const r of [...mine.rows, ...theirs.rows]) {
      const vm = vmFromRow(r, ns);
      const key = `${vm.host}\0${vm.name}`;
      if (seen.has(key)) continue;
      seen.add(key);
      vms.push(vm);
    }
    const warnings = [
      ...mine.warnings,
      // a mesh without peers (or without meshage) is not a problem to report
      ...theirs.warnings.filter(
        (w) => !/meshage is not running|no (meshage )?peers|invalid command/i.test(w.message),
      ),
    ];
    vms.sort((a, b) =>
      a.host !== b.host
        ? a.host < b.host
          ? -1
          : 1
        : a.id !== b.id
          ? a.id - b.id
          : a.name.localeCompare(b.name),
    );
    return { vms, warnings };
  }

  /** Runs a VM command where the VM is: here, or through `mesh send <host>`. */
  async #onHost(vm: Vm, cmd: string, ns: string): Promise<WireResp[]> {
    if (!this.#local || vm.host === this.#local) return this.#must(cmd, ns);
    const resps = await this.daemon.run(`mesh send ${q(vm.host)} ${inNamespace(ns, cmd)}`);
    const err = firstError(resps);
    if (err) fail(err);
    return resps;
  }

  async getVm(ns: string, name: string): Promise<Vm> {
    const { vms } = await this.listVms(ns);
    const vm = vms.find((v) => v.name === name);
    if (!vm) throw new NotFoundError(`vm not found: ${name}`);
    return vm;
  }

  /** Runs `cmd` and throws the first error row as a typed error. */
  async #must(cmd: string, ns: string, timeoutMs?: number): Promise<WireResp[]> {
    const resps = await this.daemon.run(cmd, {
      namespace: ns,
      ...(timeoutMs ? { timeoutMs } : {}),
    });
    const err = firstError(resps);
    if (err) fail(err);
    return resps;
  }

  async action(ns: string, name: string, action: 'start' | 'stop' | 'kill'): Promise<Vm> {
    const vm = await this.getVm(ns, name);
    await this.#onHost(vm, `vm ${action} ${q(name)}`, ns);
    return this.getVm(ns, name);
  }

  /** kill (when running) + flush */
  async remove(ns: string, name: string): Promise<void> {
    const vm = await this.getVm(ns, name);
    if (vm.state === 'BUILDING' || vm.state === 'RUNNING' || vm.state === 'PAUSED') {
      await this.#onHost(vm, `vm kill ${q(name)}`, ns);
    }
    await this.#onHost(vm, `vm flush ${q(name)}`, ns);
  }

  /**
   * `vm config` each field, then `vm launch`. Launches are serialized: the
   * namespace's `vm config` is shared state on the daemon.
   */
  launch(ns: string, req: LaunchRequest): Promise<Vm[]> {
    const run = async () => {
      for (const [field, value] of Object.entries(req.config)) {
        const words = Array.isArray(value) ? value : [String(value)];
        if (words.length === 0) continue;
        await this.#must(`vm config ${field} ${words.map(q).join(' ')}`, ns).catch((e) => {
          if (e instanceof CommandFailedError || e instanceof NotFoundError) {
            throw new BadRequestError(`vm config ${field}: ${e.message}`);
          }
          throw e;
        });
      }
      await this.#must(`vm launch ${req.type} ${q(req.names.join(','))}`, ns, 120_000);
      if (req.start) {
        for (const n of req.names) await this.#must(`vm start ${q(n)}`, ns);
      }
      const { vms } = await this.listVms(ns);
      return vms.filter((v) => req.names.includes(v.name));
    };
    const p = this.#launching.then(run, run);
    this.#launching = p.catch(() => {});
    return p;
  }

  /** PNG of the VM's screen, at most `size` pixels wide/high (0 = full). */
  screenshot(ns: string, name: string, size: number) {
    return this.screenshots.get(`${ns}\0${name}\0${size}`, async () => {
      const cmd = `vm screenshot ${q(name)} ${size}`;
      let resps: WireResp[];
      try {
        resps = await this.#must(cmd, ns);
      } catch (e) {
        if (!(e instanceof NotFoundError)) throw e;
        // not here: the host that has it answers with the image, the others with errors
        const all = await this.daemon.run(`mesh send all ${inNamespace(ns, cmd)}`).catch(() => []);
        resps = all.filter((r) => !r.Error);
        if (resps.length === 0) throw e;
      }
      const data = resps.find((r) => typeof r.Data === 'string' && r.Data !== '')?.Data;
      if (typeof data !== 'string') throw new NotFoundError(`no screenshot of ${name}`);
      return Buffer.from(data, 'base64');
    });
  }

  /** `host` here and on every mesh peer, one row per host. */
  async hosts(ns: string): Promise<{ hosts: Host[]; warnings: VmList['warnings'] }> {
    const [local, remote] = await Promise.all([
      this.daemon.run('host', { namespace: ns }),
      this.daemon.run('mesh send all host', { namespace: ns }).catch(() => [] as WireResp[]),
    ]);
    const { rows, warnings } = tableRows([...local, ...remote]);
    const seen = new Map<string, Host>();
    for (const r of rows) {
      const h = hostFromRow(r);
      if (!seen.has(h.name)) seen.set(h.name, h);
    }
    // "no meshage peers" is not a problem worth a warning
    const real = warnings.filter(
      (w) => !/no (mesh )?peers|meshage is not running/i.test(w.message),
    );
    return {
      hosts: [...seen.values()].sort((a, b) => a.name.localeCompare(b.name)),
      warnings: real,
    };
  }

  async mesh(): Promise<MeshGraph> {
    const resps = await this.daemon.run('mesh list');
    const r = resps[0];
    const local = r?.Host ?? '';
    if (!r || r.Error) return { local, nodes: local ? [local] : [], edges: [] };
    const g = parseAdjacency(r.Response);
    if (local && !g.nodes.includes(local)) g.nodes.push(local);
    return { local, nodes: g.nodes.sort(), edges: g.edges };
  }

  async vlans(ns: string) {
    const resps = await this.daemon.run('vlans', { namespace: ns });
    const { rows } = tableRows(resps);
    return {
      vlans: rows.map((r) => {
        const alias = r.cells.alias ?? '';
        const slash = alias.indexOf('//');
        return {
          host: r.host,
          namespace: r.cells.namespace ?? (slash > 0 ? alias.slice(0, slash) : ns),
          alias: slash > 0 ? alias.slice(slash + 2) : alias,
          vlan: Number(r.cells.vlan) || 0,
        };
      }),
    };
  }

  async namespaces(pinned: string) {
    const resps = await this.daemon.run('namespace');
    const { rows } = tableRows(resps);
    const byName = new Map<string, { name: string; vlans: string; active: boolean }>();
    for (const r of rows) {
      const name = r.cells.namespace ?? '';
      if (!byName.has(name)) {
        byName.set(name, { name, vlans: r.cells.vlans ?? '', active: r.cells.active === 'true' });
      }
    }
    let list = [...byName.values()];
    if (pinned) list = list.filter((n) => n.name === pinned);
    return { namespaces: list };
  }

  async command(ns: string, command: string) {
    return { responses: await this.daemon.run(command, { namespace: ns }) };
  }
}
