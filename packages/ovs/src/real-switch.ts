// The real switch: ovs-vsctl for OVSDB, ip/tc for devices and qdiscs.
// Port changes are batched: one `ip -batch` and one `ovs-vsctl` per call,
// however many taps (the original forked ~4 processes per tap).
import { detectDatapath } from './datapath.js';
import {
  KernelFeatureMissingError,
  LinkExistsError,
  NoSuchBridgeError,
  NoSuchLinkError,
  NoSuchMirrorError,
  NoSuchPortError,
  OvsCommandError,
  OvsNotRunningError,
  PortExistsError,
} from './errors.js';
import { checkIfName, checkOption, checkTunnel, checkVlan } from './names.js';
import {
  atomUuid,
  type OvsdbRow,
  ovsMap,
  ovsOptionalInt,
  ovsUuids,
  parseOvsdbTables,
} from './ovsdb-json.js';
import { qosArgv } from './qos.js';
import { createExecRunner, type Runner } from './runner.js';
import type {
  BridgeInfo,
  CallOptions,
  Datapath,
  MirrorInfo,
  MirrorSpec,
  PortInfo,
  PortKind,
  QosSpec,
  Switch,
  TunnelSpec,
} from './switch.js';
import { DHCP_WAIT_MS } from './switch.js';

export interface OvsSwitchOptions {
  /** runs commands (default: execa, with env and netns below) */
  runner?: Runner;
  /** environment for ovs-vsctl (e.g. OVS_RUNDIR of a private OVS); default process.env */
  env?: Record<string, string>;
  /** network namespace where devices live (ip/tc run there) */
  netns?: string;
  /** datapath for new bridges (default: detected) */
  datapath?: Datapath | 'auto';
  /** seconds ovs-vsctl waits for ovs-vswitchd (default 30) */
  timeout?: number;
  /** taps per ovs-vsctl/ip invocation (default 500) */
  batchSize?: number;
}

function chunks<T>(xs: readonly T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}

function tagArg(vlan: number): string[] {
  return vlan > 0 ? [`tag=${vlan}`] : [];
}

function portKind(type: string): PortKind {
  if (type === '' || type === 'system' || type === 'tap') return 'tap';
  if (type === 'internal' || type === 'vxlan' || type === 'gre') return type;
  return 'other';
}

export function createOvsSwitch(opts: OvsSwitchOptions = {}): Switch {
  const run = opts.runner ?? createExecRunner({ env: opts.env, netns: opts.netns });
  const datapath: Datapath =
    opts.datapath && opts.datapath !== 'auto'
      ? opts.datapath
      : detectDatapath({ override: opts.datapath });
  const timeout = opts.timeout ?? 30;
  const batchSize = opts.batchSize ?? 500;

  /** ovs-vsctl with its errors classified (spec §1: already exists, no port named). */
  async function vsctl(args: string[], o: CallOptions = {}, t = timeout): Promise<string> {
    try {
      const r = await run(['ovs-vsctl', `--timeout=${t}`, ...args], { signal: o.signal });
      return r.stdout;
    } catch (err) {
      if (!(err instanceof OvsCommandError)) throw err;
      const m = err.stderr;
      if (/database connection failed|timed out|Alarm clock/i.test(m) || err.exitCode === 142) {
        throw new OvsNotRunningError(err);
      }
      throw err;
    }
  }

  /** ip/tc on one device: a missing device becomes NoSuchLinkError */
  async function onLink(link: string, argv: string[], o: CallOptions, allowFailure = false) {
    try {
      return await run(argv, { signal: o.signal, allowFailure });
    } catch (err) {
      if (err instanceof OvsCommandError && /Cannot find device|does not exist/i.test(err.stderr)) {
        throw new NoSuchLinkError(link);
      }
      throw err;
    }
  }

  async function ipBatch(lines: string[], o: CallOptions, force = false): Promise<void> {
    if (lines.length === 0) return;
    await run(['ip', ...(force ? ['-force'] : []), '-batch', '-'], {
      input: `${lines.join('\n')}\n`,
      signal: o.signal,
      allowFailure: force,
    });
  }

  async function links(o: CallOptions = {}): Promise<string[]> {
    const r = await run(['ip', '-o', 'link', 'show'], { signal: o.signal });
    const out: string[] = [];
    for (const line of r.stdout.split('\n')) {
      const m = /^\d+:\s+([^:@\s]+)/.exec(line);
      if (m?.[1]) out.push(m[1]);
    }
    return out;
  }

  async function deleteLinks(names: readonly string[], o: CallOptions): Promise<void> {
    if (names.length === 0) return;
    const present = new Set(await links(o));
    const doomed = names.filter((n) => present.has(n));
    if (doomed.length === 0) return;
    // One `link del group` unregisters them all under one RCU grace period;
    // `link del` one by one costs ~20 ms each in the kernel (250 taps: 5 s).
    const group = 100_000 + Math.floor(Math.random() * 2_000_000_000);
    for (const c of chunks(doomed, batchSize)) {
      await ipBatch(
        [...c.map((n) => `link set dev ${n} group ${group}`), `link del group ${group}`],
        o,
        true,
      );
    }
  }

  function rethrowPortExists(err: unknown, port: string, bridge?: string): never {
    if (err instanceof OvsCommandError && /already exists/.test(err.stderr)) {
      throw new PortExistsError(port, bridge);
    }
    throw err;
  }

  function rethrowMissing(err: unknown, bridge: string, port?: string): never {
    if (err instanceof OvsCommandError) {
      if (/no bridge named|no row "[^"]*" in table Bridge/.test(err.stderr))
        throw new NoSuchBridgeError(bridge);
      if (port !== undefined && /no port named|no row .* in table Port/.test(err.stderr)) {
        throw new NoSuchPortError(port, bridge);
      }
    }
    throw err;
  }

  async function describe(name: string, o: CallOptions): Promise<BridgeInfo | undefined> {
    const out = await vsctl(
      [
        '--format=json',
        '--',
        '--columns=name,ports,mirrors,datapath_type',
        'list',
        'Bridge',
        '--',
        '--columns=_uuid,name,tag,interfaces',
        'list',
        'Port',
        '--',
        '--columns=_uuid,name,type,options',
        'list',
        'Interface',
        '--',
        '--columns=_uuid,name,output_port,select_src_port,select_all',
        'list',
        'Mirror',
      ],
      o,
    );
    const [brs = [], ports = [], ifaces = [], mirrors = []] = parseOvsdbTables(out);
    const br = brs.find((b) => b.name === name);
    if (!br) return undefined;
    const byUuid = (rows: OvsdbRow[]) => new Map(rows.map((r) => [atomUuid(r._uuid) ?? '', r]));
    const portRows = byUuid(ports);
    const ifaceRows = byUuid(ifaces);
    const portNames = new Map([...portRows].map(([u, r]) => [u, String(r.name)]));
    const info: BridgeInfo = {
      name,
      datapath:
        typeof br.datapath_type === 'string' && br.datapath_type ? br.datapath_type : 'system',
      ports: [],
      mirrors: [],
    };
    for (const pu of ovsUuids(br.ports)) {
      const p = portRows.get(pu);
      if (!p || p.name === name) continue;
      const iface = ifaceRows.get(ovsUuids(p.interfaces)[0] ?? '');
      const type = typeof iface?.type === 'string' ? iface.type : '';
      const port: PortInfo = {
        name: String(p.name),
        type,
        kind: portKind(type),
        options: iface ? ovsMap(iface.options) : {},
      };
      const tag = ovsOptionalInt(p.tag);
      if (tag !== undefined) port.tag = tag;
      info.ports.push(port);
    }
    const mirrorRows = byUuid(mirrors);
    for (const mu of ovsUuids(br.mirrors)) {
      const m = mirrorRows.get(mu);
      if (!m) continue;
      const mi: MirrorInfo = {
        name: String(m.name),
        output: portNames.get(ovsUuids(m.output_port)[0] ?? '') ?? '',
      };
      const src = ovsUuids(m.select_src_port)[0];
      if (src && m.select_all !== true) mi.src = portNames.get(src) ?? '';
      info.mirrors.push(mi);
    }
    info.ports.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return info;
  }

  const sw: Switch = {
    datapath,

    async check(o = {}) {
      try {
        const config = ['other_config:vlan-limit=2'];
        // With the userspace datapath, taps carry guests' offloaded (partial)
        // TCP/UDP checksums; without vnet-header support OVS forwards them
        // unfinished and the peer drops them (ping works, TCP does not).
        if (datapath === 'netdev') config.push('other_config:userspace-tso-enable=true');
        await vsctl(['set', 'Open_vSwitch', '.', ...config], o, 5);
      } catch (err) {
        if (err instanceof OvsCommandError) throw new OvsNotRunningError(err);
        throw err;
      }
    },

    async ensureBridge(name, o = {}) {
      checkIfName('bridge', name);
      let created = true;
      try {
        await vsctl(['add-br', name, '--', 'set', 'bridge', name, `datapath_type=${datapath}`], o);
      } catch (err) {
        if (err instanceof OvsCommandError && /already exists/.test(err.stderr)) created = false;
        else throw err;
      }
      try {
        await run(['ip', 'link', 'set', 'dev', name, 'up'], { signal: o.signal });
      } catch (err) {
        if (created) await vsctl(['--if-exists', 'del-br', name]).catch(() => undefined);
        throw err;
      }
      return { created };
    },

    async deleteBridge(name, o = {}) {
      try {
        await vsctl(['del-br', name], o);
      } catch (err) {
        rethrowMissing(err, name);
      }
    },

    async bridges(o = {}) {
      const out = await vsctl(['list-br'], o);
      return out.split('\n').filter((l) => l !== '');
    },

    bridge: (name, o = {}) => describe(name, o),

    async configureBridge(bridge, key, value, o = {}) {
      try {
        await vsctl(['set', 'bridge', bridge, `${key}=${value}`], o);
      } catch (err) {
        rethrowMissing(err, bridge);
      }
    },

    async createTaps(specs, o = {}) {
      if (specs.length === 0) return;
      const seen = new Set<string>();
      for (const s of specs) {
        checkIfName('tap', s.name);
        checkIfName('bridge', s.bridge);
        checkVlan(s.vlan);
        if (s.qinq !== undefined) checkVlan(s.qinq);
        if (seen.has(s.name)) throw new LinkExistsError(s.name);
        seen.add(s.name);
      }
      const before = new Set(await links(o));
      const clash = specs.find((s) => before.has(s.name));
      if (clash) throw new LinkExistsError(clash.name);
      const names = specs.map((s) => s.name);
      try {
        for (const c of chunks(specs, batchSize)) {
          await ipBatch(
            c.flatMap((s) => [
              `tuntap add dev ${s.name} mode tap`,
              `link set dev ${s.name}${s.mtu ? ` mtu ${s.mtu}` : ''} up`,
            ]),
            o,
          );
        }
        for (const c of chunks(specs, batchSize)) {
          const args: string[] = [];
          for (const s of c) {
            args.push('--', '--if-exists', 'del-port', s.name, '--', 'add-port', s.bridge, s.name);
            args.push(...tagArg(s.vlan));
            if (s.qinq !== undefined) {
              args.push('--', 'set', 'port', s.name, 'vlan_mode=dot1q-tunnel', `tag=${s.qinq}`);
            }
          }
          await vsctl(args, o);
        }
      } catch (err) {
        // all or nothing: remove ports and devices this call made
        await vsctl(names.flatMap((n) => ['--', '--if-exists', 'del-port', n])).catch(
          () => undefined,
        );
        await deleteLinks(names, {}).catch(() => undefined);
        if (err instanceof OvsCommandError && /no bridge named/.test(err.stderr)) {
          const missing = /no bridge named (\S+)/.exec(err.stderr)?.[1] ?? specs[0]!.bridge;
          throw new NoSuchBridgeError(missing);
        }
        throw err;
      }
    },

    async deleteTaps(taps, o = {}) {
      if (taps.length === 0) return;
      for (const c of chunks(taps, batchSize)) {
        await vsctl(
          // no bridge argument: the port goes from whichever bridge holds it
          c.flatMap((t) => ['--', '--if-exists', 'del-port', t.name]),
          o,
        );
      }
      await deleteLinks(
        taps.map((t) => t.name),
        o,
      );
    },

    async createHostTap(spec, o = {}) {
      checkIfName('tap', spec.name);
      checkVlan(spec.vlan);
      try {
        await vsctl(
          [
            'add-port',
            spec.bridge,
            spec.name,
            ...tagArg(spec.vlan),
            '--',
            'set',
            'Interface',
            spec.name,
            'type=internal',
          ],
          o,
        );
      } catch (err) {
        if (err instanceof OvsCommandError && /no bridge named/.test(err.stderr)) {
          throw new NoSuchBridgeError(spec.bridge);
        }
        rethrowPortExists(err, spec.name, spec.bridge);
      }
      try {
        await run(['ip', 'link', 'set', 'dev', spec.name, 'up', 'promisc', 'on'], {
          signal: o.signal,
        });
      } catch (err) {
        await vsctl(['--if-exists', 'del-port', spec.bridge, spec.name]).catch(() => undefined);
        throw err;
      }
    },

    async addAddress(link, cidr, o = {}) {
      await onLink(link, ['ip', 'addr', 'add', 'dev', link, cidr], o);
    },

    async addresses(link, o = {}) {
      const r = await onLink(link, ['ip', '-o', 'addr', 'show', 'dev', link], o);
      const out: string[] = [];
      for (const line of r.stdout.split('\n')) {
        const m = /\sinet6?\s+(\S+)/.exec(line);
        if (m?.[1]) out.push(m[1]);
      }
      return out;
    },

    async requestDhcp(link, o = {}) {
      checkIfName('tap', link);
      const waitS = Math.max(1, Math.ceil((o.timeoutMs ?? DHCP_WAIT_MS) / 1000));
      // dhclient waits 60 s for a lease and ignores SIGTERM meanwhile, and
      // `ip netns exec` forks it: coreutils' timeout, inside the namespace,
      // is what can stop it at our deadline
      const attempts: string[][] = [
        ['timeout', '-s', 'KILL', String(waitS), 'dhclient', '-1', link],
        ['busybox', 'udhcpc', '-i', link, '-n', '-q', '-t', '3', '-T', '1'],
      ];
      let last: unknown;
      for (const argv of attempts) {
        try {
          await onLink(link, argv, o);
          return;
        } catch (err) {
          if (err instanceof OvsCommandError && argv[0] === 'timeout' && err.exitCode === 137) {
            throw new OvsCommandError(
              argv.slice(4),
              `no DHCP lease on ${link} within ${waitS} s`,
              err.exitCode,
            );
          }
          last = err;
          // only a missing client sends us to the next one
          if (
            !(err instanceof OvsCommandError) ||
            !/ENOENT|not found|No such file/i.test(err.stderr)
          )
            break;
        }
      }
      throw last;
    },

    async connectPort(bridge, port, vlan, o = {}) {
      checkVlan(vlan);
      try {
        await vsctl(
          ['--', '--if-exists', 'del-port', port, '--', 'add-port', bridge, port, ...tagArg(vlan)],
          o,
        );
      } catch (err) {
        rethrowMissing(err, bridge);
      }
    },

    async addTrunk(bridge, iface, o = {}) {
      checkIfName('interface', iface);
      try {
        await vsctl(['add-port', bridge, iface], o);
      } catch (err) {
        if (err instanceof OvsCommandError && /no bridge named/.test(err.stderr)) {
          throw new NoSuchBridgeError(bridge);
        }
        rethrowPortExists(err, iface, bridge);
      }
    },

    async addTunnel(t: TunnelSpec, o = {}) {
      checkIfName('tunnel', t.name);
      checkTunnel(t.remoteIp, t.key);
      for (const [k, v] of Object.entries(t.options ?? {})) checkOption(k, v);
      const args = [
        'add-port',
        t.bridge,
        t.name,
        '--',
        'set',
        'interface',
        t.name,
        `type=${t.type}`,
        `options:remote_ip=${t.remoteIp}`,
      ];
      if (t.key !== undefined && t.key !== '') args.push(`options:key=${t.key}`);
      for (const [k, v] of Object.entries(t.options ?? {})) args.push(`options:${k}=${v}`);
      try {
        await vsctl(args, o);
      } catch (err) {
        if (err instanceof OvsCommandError && /no bridge named/.test(err.stderr)) {
          throw new NoSuchBridgeError(t.bridge);
        }
        rethrowPortExists(err, t.name, t.bridge);
      }
    },

    async removePort(bridge, port, o = {}) {
      try {
        await vsctl(['del-port', bridge, port], o);
      } catch (err) {
        rethrowMissing(err, bridge, port);
      }
    },

    async addMirror(m: MirrorSpec, o = {}) {
      const name = `mirror-${m.dst}`;
      const args = ['--', '--id=@dst', 'get', 'port', m.dst];
      if (m.src !== undefined) args.push('--', '--id=@src', 'get', 'port', m.src);
      args.push('--', '--id=@m', 'create', 'mirror', `name=${name}`, 'output-port=@dst');
      if (m.src !== undefined) args.push('select-src-port=@src', 'select-dst-port=@src');
      else args.push('select-all=true');
      args.push('--', 'add', 'bridge', m.bridge, 'mirrors', '@m');
      try {
        await vsctl(args, o);
      } catch (err) {
        if (err instanceof OvsCommandError) {
          const row = /no row "([^"]+)" in table Port/.exec(err.stderr);
          if (row?.[1]) throw new NoSuchPortError(row[1], m.bridge);
          if (/no row "[^"]+" in table Bridge/.test(err.stderr))
            throw new NoSuchBridgeError(m.bridge);
        }
        throw err;
      }
      return name;
    },

    async removeMirror(bridge, dst, o = {}) {
      const name = `mirror-${dst}`;
      try {
        await vsctl(
          [
            '--',
            '--id=@m',
            'get',
            'mirror',
            name,
            '--',
            'remove',
            'bridge',
            bridge,
            'mirrors',
            '@m',
          ],
          o,
        );
      } catch (err) {
        if (err instanceof OvsCommandError) {
          if (/in table Mirror/.test(err.stderr)) throw new NoSuchMirrorError(name);
          if (/in table Bridge/.test(err.stderr)) throw new NoSuchBridgeError(bridge);
        }
        throw err;
      }
    },

    async setQos(link, q: QosSpec, o = {}) {
      const argv = qosArgv(link, q);
      try {
        await onLink(link, argv, o);
      } catch (err) {
        if (
          err instanceof OvsCommandError &&
          /qdisc kind is unknown|Unknown qdisc/i.test(err.stderr)
        ) {
          throw new KernelFeatureMissingError(q.kind === 'rate' ? 'tbf' : 'netem', err.stderr);
        }
        throw err;
      }
    },

    async clearQos(link, o = {}) {
      const r = await onLink(link, ['tc', 'qdisc', 'del', 'dev', link, 'root'], o, true);
      if (/Cannot find device/i.test(r.stderr)) throw new NoSuchLinkError(link);
      if (r.exitCode !== 0 && !/handle of zero|No such file|Invalid handle/i.test(r.stderr)) {
        throw new OvsCommandError(
          ['tc', 'qdisc', 'del', 'dev', link, 'root'],
          r.stderr,
          r.exitCode,
        );
      }
    },

    async qdisc(link, o = {}) {
      const r = await onLink(link, ['tc', 'qdisc', 'show', 'dev', link, 'root'], o);
      const m = /^qdisc\s+(\S+)/m.exec(r.stdout);
      return m?.[1];
    },

    links,
  };
  return sw;
}
