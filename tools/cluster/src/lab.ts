// A lab of virtual hosts on one private bridge: each host a network
// namespace with a holder (own hostname, optional private /tmp, hidden
// paths, optional sshd), and one /etc/hosts naming them all, so
// `ssh mm1` and `deploy launch mm[1-3]` work from any of them.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { clusterNames } from './names.js';
import { createBridge, createHostNetns, deleteBridge, deleteHostNetns, sweepStale } from './net.js';
import { type Sshd, startSshd } from './sshd.js';
import { startVirtualHost, type VirtualHost } from './vhost.js';

export interface LabHostSpec {
  name: string;
  /** tmpfs on /tmp (default true) */
  privateTmp?: boolean;
  /** paths to hide inside this host */
  hide?: string[];
  /** run an sshd accepting these public keys */
  sshd?: { authorizedKeys: string[] };
  /** create the namespace and address but start nothing (a host that is down) */
  down?: boolean;
  /** directories made visible inside the host at `to` (over an empty tmpfs at `under`) */
  mounts?: { from: string; to: string }[];
  /** empty tmpfs mounts (e.g. /root, to hold the mount points of `mounts`) */
  tmpfs?: string[];
  /** files bound over existing ones inside the host (e.g. its own /etc/passwd and /etc/sudoers) */
  files?: { from: string; to: string }[];
  /**
   * paths of this machine that stay visible at the same place inside the
   * host, e.g. the checkout whose code a host runs: a checkout under /tmp is
   * otherwise hidden by the host's private /tmp (or by a `tmpfs` entry)
   */
  visible?: string[];
}

/** `p` is `root` or lies under it */
function within(p: string, root: string): boolean {
  return p === root || p.startsWith(root.endsWith('/') ? root : `${root}/`);
}

/**
 * The bind mounts that keep `spec.visible` paths where they are: only those
 * the host's private /tmp or its tmpfs mounts would hide (others are seen
 * through as they are).
 */
export function keptVisible(spec: LabHostSpec): { from: string; to: string }[] {
  const covers = [...((spec.privateTmp ?? true) ? ['/tmp'] : []), ...(spec.tmpfs ?? [])].map((p) =>
    resolve(p),
  );
  const out: { from: string; to: string }[] = [];
  for (const v of spec.visible ?? []) {
    const p = resolve(v);
    if (covers.some((c) => within(p, c)) && !out.some((m) => within(p, m.to))) {
      out.push({ from: p, to: p });
    }
  }
  return out;
}

export interface LabHost {
  readonly spec: LabHostSpec;
  readonly name: string;
  readonly address: string;
  readonly netns: string;
  /** this host's files outside it (sshd config, logs) */
  readonly dir: string;
  /** the same directory as seen inside the host */
  readonly inside: string;
  /** undefined for a host that is down */
  readonly vhost: VirtualHost | undefined;
  readonly sshd: Sshd | undefined;
}

export interface Lab extends AsyncDisposable {
  readonly id: string;
  readonly dir: string;
  readonly hosts: LabHost[];
  host(name: string): LabHost;
  close(): Promise<void>;
}

/** Where each host sees its own lab directory (an existing, normally empty directory). */
export const INSIDE_DIR = '/mnt';

export async function startLab(
  specs: LabHostSpec[],
  opts: { detached?: boolean; dir?: string; names?: ReturnType<typeof clusterNames> } = {},
): Promise<Lab> {
  if (process.getuid?.() !== 0) throw new Error('a lab needs root (network namespaces)');
  const names = opts.names ?? clusterNames();
  const dir = opts.dir ?? join(tmpdir(), `mm-lab-${names.id}`);
  const hosts: LabHost[] = [];
  const made: { ns: string; veth: string }[] = [];
  let bridgeMade = false;
  const close = async () => {
    await Promise.all(hosts.map((h) => h.vhost?.close().catch(() => {})));
    await Promise.all(made.map(({ ns, veth }) => deleteHostNetns(ns, veth)));
    if (bridgeMade) await deleteBridge(names.bridge);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    if (!opts.names) await sweepStale();
    await mkdir(dir, { recursive: true });
    await createBridge(names.bridge);
    bridgeMade = true;
    const etcHosts = join(dir, 'hosts');
    await writeFile(
      etcHosts,
      ['127.0.0.1 localhost', ...specs.map((s, i) => `${names.address(i + 1)} ${s.name}`), ''].join(
        '\n',
      ),
    );
    for (const [i, spec] of specs.entries()) {
      const ns = names.netns(i + 1);
      const veth = names.veth(i + 1);
      made.push({ ns, veth });
      const address = names.address(i + 1);
      await createHostNetns({ ns, bridge: names.bridge, veth, address });
      const hdir = join(dir, spec.name);
      await mkdir(hdir, { recursive: true, mode: 0o700 });
      let vhost: VirtualHost | undefined;
      let sshd: Sshd | undefined;
      if (!spec.down) {
        const mounts = [...(spec.mounts ?? []), ...keptVisible(spec)];
        vhost = await startVirtualHost(
          {
            name: spec.name,
            netns: ns,
            privateTmp: spec.privateTmp ?? true,
            hide: spec.hide ?? [],
            binds: [
              { from: hdir, to: INSIDE_DIR },
              { from: etcHosts, to: '/etc/hosts' },
              ...(spec.files ?? []),
              // staged under the host's own directory: /tmp or /root may be replaced next
              ...mounts.map((m, k) => ({
                from: m.from,
                to: `${INSIDE_DIR}/.mount${k}`,
              })),
            ],
            tmpfs: spec.tmpfs ?? [],
            lateBinds: mounts.map((m, k) => ({
              from: `${INSIDE_DIR}/.mount${k}`,
              to: m.to,
            })),
          },
          { detached: opts.detached === true },
        );
        if (spec.sshd) {
          sshd = await startSshd({
            host: vhost,
            dir: hdir,
            inside: INSIDE_DIR,
            address,
            authorizedKeys: spec.sshd.authorizedKeys,
            detached: opts.detached === true,
          });
        }
      }
      hosts.push({
        spec,
        name: spec.name,
        address,
        netns: ns,
        dir: hdir,
        inside: INSIDE_DIR,
        vhost,
        sshd,
      });
    }
  } catch (e) {
    await close();
    throw e;
  }
  return {
    id: names.id,
    dir,
    hosts,
    host(name) {
      const h = hosts.find((x) => x.name === name);
      if (!h) throw new Error(`no host ${name} in lab ${names.id}`);
      return h;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
