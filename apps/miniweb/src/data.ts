// What the API serves, read from the daemon's commands. Each method runs one
// or two commands and maps their response rows; errors rows become warnings
// for lists and typed errors for single-VM operations.
import { goQuote, type WireResp } from '@mm/minimega/client';
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

  constructor(opts: MiniwebDataOptions) {
    this.daemon = opts.daemon;
    this.screenshots = new ScreenshotCache({ ttlMs: opts.screenshotTtlMs ?? 5000 });
  }

  /** Every VM of the namespace on every host, sorted by host, id, name. */
  async listVms(ns: string): Promise<VmList> {
    const resps = await this.daemon.run('vm info', { namespace: ns });
    const { rows, warnings } = tableRows(resps);
    const vms = rows.map((r) => vmFromRow(r, ns));
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
    await this.getVm(ns, name);
    await this.#must(`vm ${action} ${q(name)}`, ns);
    return this.getVm(ns, name);
  }

  /** kill (when running) + flush */
  async remove(ns: string, name: string): Promise<void> {
    const vm = await this.getVm(ns, name);
    if (vm.state === 'BUILDING' || vm.state === 'RUNNING' || vm.state === 'PAUSED') {
      await this.#must(`vm kill ${q(name)}`, ns);
    }
    await this.#must(`vm flush ${q(name)}`, ns);
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
      const resps = await this.#must(`vm screenshot ${q(name)} ${size}`, ns);
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
