// startCluster(n): n "hosts" on this machine, each a network namespace with
// its own hostname (UTS namespace) running one minimega daemon with its own
// -base. `await using cluster = await startCluster(3)` tears everything down
// (daemons, namespaces, bridge, base dirs), also when a test fails.
import { mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MinimegaClient, type WireResp } from '@mm/minimega/client';
import { execa, type ResultPromise } from 'execa';
import { appDir, daemonEntry } from './daemon-entry.js';
import { clusterNames } from './names.js';
import {
  createBridge,
  createHostNetns,
  deleteBridge,
  deleteHostNetns,
  ip,
  sweepStale,
} from './net.js';

export interface ClusterOptions {
  /** number of hosts */
  hosts: number;
  /** daemon flags for every host (after -base/-nostdin/-port), or per host */
  flags?: string[] | ((host: { name: string; index: number }) => string[]);
  /** hostname of host i (1-based); default `n<i>` */
  name?: (index: number) => string;
  /** mesh port (default 9000: every host has its own network namespace) */
  port?: number;
  /** how long a daemon may take to open its socket, ms (default 60 s) */
  startTimeoutMs?: number;
}

export interface ClusterHost {
  readonly name: string;
  readonly index: number;
  readonly netns: string;
  /** eth0 address inside the host's namespace */
  readonly address: string;
  /** the daemon's -base */
  readonly base: string;
  /** the daemon's control socket (reachable from the root namespace) */
  readonly socket: string;
  /** the daemon's stderr/stdout log */
  readonly logFile: string;
  readonly running: boolean;
  readonly pid: number | undefined;
  /** run one command over a kept-open control connection; every response of every reply */
  run(line: string): Promise<WireResp[]>;
  /** the kept-open control connection (opened on first use) */
  client(): Promise<MinimegaClient>;
  /** start the daemon (again); resolves once its socket answers */
  start(extraFlags?: string[]): Promise<void>;
  /**
   * Signal the daemon and wait for it to exit (default SIGKILL, as `kill -9`).
   * A SIGTERM gets the daemon's own shutdown deadline (-shutdown-timeout plus
   * its margin) before the harness SIGKILLs it; the result says which.
   */
  kill(signal?: NodeJS.Signals): Promise<HostExit | undefined>;
  /** run a program inside the host's network namespace */
  exec(argv: string[]): Promise<{ exitCode: number | undefined; stdout: string; stderr: string }>;
  /** pull the cable: the host's veth goes down silently (no FIN, no RST) */
  disconnect(): Promise<void>;
  /** plug it back in */
  reconnect(): Promise<void>;
}

/** How a daemon ended when the harness stopped it. */
export interface HostExit {
  host: string;
  signal: NodeJS.Signals;
  /** ms from the signal to the exit */
  ms: number;
  /** the daemon outlived its grace and was SIGKILLed by the harness */
  forced: boolean;
}

/** -shutdown-timeout's default (apps/minimega flags/registry.ts), seconds */
const DAEMON_SHUTDOWN_S = 10;
/** the daemon's own margin past it before it kills what is left and exits (daemon/start.ts) */
const DAEMON_DEADLINE_MARGIN_MS = 3000;

/** How long a daemon started with `flags` may take to shut down on SIGTERM before it is SIGKILLed. */
export function shutdownGraceMs(flags: readonly string[]): number {
  const i = flags.findIndex((f) => /^--?shutdown-timeout(=|$)/.test(f));
  const v = i < 0 ? undefined : flags[i]!.includes('=') ? flags[i]!.split('=')[1] : flags[i + 1];
  const s = v !== undefined && Number(v) > 0 ? Number(v) : DAEMON_SHUTDOWN_S;
  // a little past the daemon's own deadline: it exits by itself then
  return s * 1000 + DAEMON_DEADLINE_MARGIN_MS + 2000;
}

export interface Cluster extends AsyncDisposable {
  readonly id: string;
  readonly bridge: string;
  readonly hosts: ClusterHost[];
  host(name: string): ClusterHost;
  /** SIGTERM every daemon and wait for them (namespaces, bridge, logs and base dirs stay) */
  stop(): Promise<HostExit[]>;
  /** stop, then remove the namespaces, the bridge and the cluster dir */
  close(): Promise<void>;
}

class Host implements ClusterHost {
  #proc: ResultPromise | undefined;
  #exited = true;
  #client: MinimegaClient | undefined;
  readonly socket: string;
  readonly logFile: string;

  constructor(
    readonly name: string,
    readonly index: number,
    readonly netns: string,
    private readonly veth: string,
    readonly address: string,
    readonly base: string,
    private readonly flags: string[],
    private readonly port: number,
    private readonly startTimeoutMs: number,
  ) {
    this.socket = join(base, 'minimega');
    this.logFile = join(base, '..', `${name}.log`);
  }

  get running(): boolean {
    return !this.#exited;
  }

  get pid(): number | undefined {
    return this.#proc?.pid;
  }

  async start(extraFlags: string[] = []): Promise<void> {
    if (this.running) throw new Error(`${this.name}: daemon already running`);
    await mkdir(this.base, { recursive: true });
    const argv = [
      ...['netns', 'exec', this.netns, 'unshare', '--uts', '--', 'sh', '-c'],
      'hostname "$0" && exec "$@"',
      this.name,
      process.execPath,
      ...daemonEntry().args,
      ...['-base', this.base, '-nostdin', '-force', '-port', String(this.port)],
      ...this.flags,
      ...extraFlags,
    ];
    const proc = execa('ip', argv, {
      cwd: appDir,
      reject: false,
      stdin: 'ignore',
      stdout: { file: this.logFile, append: true },
      stderr: { file: this.logFile, append: true },
    });
    this.#proc = proc;
    this.#exited = false;
    let up = false;
    const giveUp = new AbortController();
    const exited = proc.then(() => {
      this.#exited = true;
      giveUp.abort();
      if (!up) throw new Error(`${this.name}: daemon exited during start-up (see ${this.logFile})`);
    });
    exited.catch(() => {});
    this.#client = undefined;
    this.#client = await Promise.race([
      MinimegaClient.dial(this.socket, { waitMs: this.startTimeoutMs, signal: giveUp.signal }),
      exited.then(() => {
        throw new Error(`${this.name}: daemon exited`);
      }),
    ]);
    up = true;
  }

  async client(): Promise<MinimegaClient> {
    this.#client ??= await MinimegaClient.dial(this.socket, { waitMs: 5000 });
    return this.#client;
  }

  async run(line: string): Promise<WireResp[]> {
    const c = await this.client();
    const replies = await c.runAll(line);
    return replies.flatMap((r) => r.Resp ?? []);
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<HostExit | undefined> {
    const proc = this.#proc;
    const c = this.#client;
    this.#client = undefined;
    await c?.close().catch(() => {});
    if (!proc || this.#exited) return undefined;
    const t0 = Date.now();
    let forced = false;
    proc.kill(signal);
    // SIGKILLing a daemon that is still shutting down leaves its VMs running
    // (they are meant to survive a crash): give it its own deadline first
    const timer =
      signal === 'SIGKILL'
        ? undefined
        : setTimeout(
            () => {
              forced = true;
              proc.kill('SIGKILL');
            },
            shutdownGraceMs([...this.flags]),
          );
    await proc;
    clearTimeout(timer);
    return { host: this.name, signal, ms: Date.now() - t0, forced };
  }

  async disconnect(): Promise<void> {
    await ip(['link', 'set', this.veth, 'down']);
  }

  async reconnect(): Promise<void> {
    await ip(['link', 'set', this.veth, 'up']);
  }

  async exec(argv: string[]) {
    const r = await execa('ip', ['netns', 'exec', this.netns, ...argv], { reject: false });
    return { exitCode: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr) };
  }
}

export async function startCluster(opts: ClusterOptions | number): Promise<Cluster> {
  const o: ClusterOptions = typeof opts === 'number' ? { hosts: opts } : opts;
  if (process.getuid?.() !== 0) throw new Error('startCluster needs root (network namespaces)');
  const names = clusterNames();
  const dir = join(tmpdir(), `mm-cluster-${names.id}`);
  const hosts: Host[] = [];
  const netns: { ns: string; veth: string }[] = [];
  let bridgeMade = false;

  const stop = async (): Promise<HostExit[]> => {
    const exits = await Promise.all(hosts.map((h) => h.kill('SIGTERM').catch(() => undefined)));
    return exits.filter((e) => e !== undefined);
  };
  const close = async () => {
    await stop();
    await Promise.all(netns.map(({ ns, veth }) => deleteHostNetns(ns, veth)));
    if (bridgeMade) await deleteBridge(names.bridge);
    await rm(dir, { recursive: true, force: true });
  };

  try {
    await sweepStale();
    await mkdir(dir, { recursive: true });
    await createBridge(names.bridge);
    bridgeMade = true;
    for (let i = 1; i <= o.hosts; i++) {
      const ns = names.netns(i);
      const veth = names.veth(i);
      netns.push({ ns, veth });
      await createHostNetns({ ns, bridge: names.bridge, veth, address: names.address(i) });
      const name = o.name?.(i) ?? `n${i}`;
      const flags = typeof o.flags === 'function' ? o.flags({ name, index: i }) : (o.flags ?? []);
      hosts.push(
        new Host(
          name,
          i,
          ns,
          veth,
          names.address(i),
          join(dir, name),
          flags,
          o.port ?? 9000,
          o.startTimeoutMs ?? 60_000,
        ),
      );
    }
    await Promise.all(hosts.map((h) => h.start()));
  } catch (e) {
    await close();
    throw e;
  }

  return {
    id: names.id,
    bridge: names.bridge,
    hosts,
    host(name) {
      const h = hosts.find((x) => x.name === name);
      if (!h) throw new Error(`no host ${name} in cluster ${names.id}`);
      return h;
    },
    stop,
    close,
    [Symbol.asyncDispose]: close,
  };
}
