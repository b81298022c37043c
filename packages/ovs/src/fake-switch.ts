// An in-memory switch with the real one's semantics and errors, for tests of
// everything above OVS (the daemon's commands, VLAN handling, qos rules).
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
import { qosArgv } from './qos.js';
import type {
  BridgeInfo,
  Datapath,
  MirrorInfo,
  PortInfo,
  QosSpec,
  Switch,
  TapSpec,
} from './switch.js';

export interface FakeBridge {
  datapath: Datapath;
  ports: Map<string, PortInfo>;
  mirrors: Map<string, MirrorInfo>;
  config: Record<string, string>;
}

export interface FakeSwitchOptions {
  datapath?: Datapath;
  /** whether the netem qdisc exists (default true) */
  netem?: boolean;
  /** bridges that exist before the daemon starts */
  preexisting?: string[];
  /** network devices that exist on the host (e.g. `eth0`) */
  links?: string[];
  /** answers DHCP on a link with an address (default: no DHCP server) */
  dhcp?: (link: string) => string | undefined;
}

/** The fake's state, for assertions in tests. */
export interface FakeSwitch extends Switch {
  readonly state: {
    bridges: Map<string, FakeBridge>;
    links: Set<string>;
    qdiscs: Map<string, QosSpec>;
    addresses: Map<string, string[]>;
  };
  /** makes every following call fail with OvsNotRunningError-like behaviour (check only) */
  running: boolean;
}

export function createFakeSwitch(opts: FakeSwitchOptions = {}): FakeSwitch {
  const datapath = opts.datapath ?? 'netdev';
  const bridges = new Map<string, FakeBridge>();
  const links = new Set<string>(['lo', ...(opts.links ?? [])]);
  const qdiscs = new Map<string, QosSpec>();
  const addresses = new Map<string, string[]>();
  const netem = opts.netem ?? true;

  const newBridge = (name: string) => {
    bridges.set(name, { datapath, ports: new Map(), mirrors: new Map(), config: {} });
    links.add(name);
  };
  for (const b of opts.preexisting ?? []) newBridge(b);

  const getBridge = (name: string): FakeBridge => {
    const b = bridges.get(name);
    if (!b) throw new NoSuchBridgeError(name);
    return b;
  };
  const findPort = (port: string): [string, FakeBridge, PortInfo] | undefined => {
    for (const [n, b] of bridges) {
      const p = b.ports.get(port);
      if (p) return [n, b, p];
    }
    return undefined;
  };
  const dropPort = (b: FakeBridge, name: string) => {
    const p = b.ports.get(name);
    if (!p) return;
    b.ports.delete(name);
    for (const [mn, m] of b.mirrors) if (m.output === name || m.src === name) b.mirrors.delete(mn);
    if (p.kind === 'internal') {
      links.delete(name);
      qdiscs.delete(name);
      addresses.delete(name);
    }
  };
  const port = (
    name: string,
    vlan: number,
    type = '',
    options: Record<string, string> = {},
  ): PortInfo => {
    const p: PortInfo = {
      name,
      type,
      kind:
        type === ''
          ? 'tap'
          : type === 'internal' || type === 'vxlan' || type === 'gre'
            ? type
            : 'other',
      options,
    };
    if (vlan > 0) p.tag = vlan;
    return p;
  };
  const needLink = (link: string) => {
    if (!links.has(link)) throw new NoSuchLinkError(link);
  };

  const sw: FakeSwitch = {
    datapath,
    running: true,
    state: { bridges, links, qdiscs, addresses },

    async check() {
      if (!sw.running) {
        throw new OvsNotRunningError(
          new OvsCommandError(
            ['ovs-vsctl', 'set', 'Open_vSwitch', '.'],
            'database connection failed',
            1,
          ),
        );
      }
    },

    async ensureBridge(name) {
      checkIfName('bridge', name);
      if (bridges.has(name)) return { created: false };
      newBridge(name);
      return { created: true };
    },

    async deleteBridge(name) {
      const b = getBridge(name);
      for (const p of [...b.ports.keys()]) dropPort(b, p);
      bridges.delete(name);
      links.delete(name);
    },

    async bridges() {
      return [...bridges.keys()].sort();
    },

    async bridge(name) {
      const b = bridges.get(name);
      if (!b) return undefined;
      const info: BridgeInfo = {
        name,
        datapath: b.datapath,
        ports: [...b.ports.values()]
          .map((p) => ({ ...p, options: { ...p.options } }))
          .sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0)),
        mirrors: [...b.mirrors.values()].map((m) => ({ ...m })),
      };
      return info;
    },

    async configureBridge(bridge, key, value) {
      getBridge(bridge).config[key] = value;
    },

    async createTaps(specs: readonly TapSpec[]) {
      const seen = new Set<string>();
      for (const s of specs) {
        checkIfName('tap', s.name);
        checkIfName('bridge', s.bridge);
        checkVlan(s.vlan);
        if (s.qinq !== undefined) checkVlan(s.qinq);
        if (seen.has(s.name) || links.has(s.name)) throw new LinkExistsError(s.name);
        seen.add(s.name);
      }
      for (const s of specs) getBridge(s.bridge);
      for (const s of specs) {
        links.add(s.name);
        const found = findPort(s.name);
        if (found) dropPort(found[1], s.name);
        getBridge(s.bridge).ports.set(s.name, port(s.name, s.qinq ?? s.vlan));
      }
    },

    async deleteTaps(taps) {
      for (const t of taps) {
        const found = findPort(t.name);
        if (found) dropPort(found[1], t.name);
        links.delete(t.name);
        qdiscs.delete(t.name);
        addresses.delete(t.name);
      }
    },

    async createHostTap(spec) {
      checkIfName('tap', spec.name);
      checkVlan(spec.vlan);
      const b = getBridge(spec.bridge);
      if (findPort(spec.name)) throw new PortExistsError(spec.name, spec.bridge);
      b.ports.set(spec.name, port(spec.name, spec.vlan, 'internal'));
      links.add(spec.name);
    },

    async addAddress(link, cidr) {
      needLink(link);
      const a = addresses.get(link) ?? [];
      a.push(cidr.includes('/') ? cidr : `${cidr}/32`);
      addresses.set(link, a);
    },

    async addresses(link) {
      needLink(link);
      return [...(addresses.get(link) ?? [])];
    },

    async requestDhcp(link) {
      needLink(link);
      const lease = opts.dhcp?.(link);
      if (!lease) {
        throw new OvsCommandError(
          ['busybox', 'udhcpc', '-i', link],
          'udhcpc: no lease, failing',
          1,
        );
      }
      addresses.set(link, [...(addresses.get(link) ?? []), lease]);
    },

    async connectPort(bridge, name, vlan) {
      checkVlan(vlan);
      const b = getBridge(bridge);
      const found = findPort(name);
      const type = found?.[2].type ?? '';
      if (found) found[1].ports.delete(name);
      b.ports.set(name, port(name, vlan, type === 'internal' ? '' : type));
    },

    async addTrunk(bridge, iface) {
      checkIfName('interface', iface);
      const b = getBridge(bridge);
      if (findPort(iface)) throw new PortExistsError(iface, bridge);
      b.ports.set(iface, port(iface, 0));
    },

    async addTunnel(t) {
      checkIfName('tunnel', t.name);
      checkTunnel(t.remoteIp, t.key);
      for (const [k, v] of Object.entries(t.options ?? {})) checkOption(k, v);
      const b = getBridge(t.bridge);
      if (findPort(t.name)) throw new PortExistsError(t.name, t.bridge);
      const options: Record<string, string> = { remote_ip: t.remoteIp };
      if (t.key !== undefined && t.key !== '') options.key = String(t.key);
      Object.assign(options, t.options ?? {});
      b.ports.set(t.name, port(t.name, 0, t.type, options));
    },

    async removePort(bridge, name) {
      const b = getBridge(bridge);
      if (!b.ports.has(name)) throw new NoSuchPortError(name, bridge);
      dropPort(b, name);
    },

    async addMirror(m) {
      const b = getBridge(m.bridge);
      if (!findPort(m.dst)) throw new NoSuchPortError(m.dst, m.bridge);
      if (m.src !== undefined && !findPort(m.src)) throw new NoSuchPortError(m.src, m.bridge);
      const name = `mirror-${m.dst}`;
      const info: MirrorInfo = { name, output: m.dst };
      if (m.src !== undefined) info.src = m.src;
      b.mirrors.set(name, info);
      return name;
    },

    async removeMirror(bridge, dst) {
      const b = getBridge(bridge);
      const name = `mirror-${dst}`;
      if (!b.mirrors.delete(name)) throw new NoSuchMirrorError(name);
    },

    async setQos(link, q) {
      qosArgv(link, q); // same validation as the real one
      needLink(link);
      if (q.kind === 'netem' && !netem) {
        throw new KernelFeatureMissingError('netem', 'Error: Specified qdisc kind is unknown.');
      }
      qdiscs.set(link, { ...q });
    },

    async clearQos(link) {
      needLink(link);
      qdiscs.delete(link);
    },

    async qdisc(link) {
      needLink(link);
      const q = qdiscs.get(link);
      return q ? (q.kind === 'rate' ? 'tbf' : 'netem') : undefined;
    },

    async links() {
      return [...links];
    },
  };
  return sw;
}
