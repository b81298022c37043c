// Which OVS datapath new bridges get: the kernel one when the openvswitch
// module is loaded or loadable, else the userspace `netdev` datapath (which
// works with tap ports on any kernel that has /dev/net/tun).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Datapath } from './switch.js';

export interface DetectDatapathOptions {
  /** where kernel modules show up (tests) */
  sysModule?: string;
  /** whether `modprobe` may be consulted (and the module loaded when available; default true) */
  probe?: boolean;
  /** explicit choice; also read from MM_OVS_DATAPATH */
  override?: Datapath | 'auto';
}

export function parseDatapath(s: string | undefined): Datapath | 'auto' | undefined {
  if (s === undefined || s === '') return undefined;
  if (s === 'system' || s === 'netdev' || s === 'auto') return s;
  throw new TypeError(`invalid datapath: ${s} (expected system, netdev or auto)`);
}

export function detectDatapath(opts: DetectDatapathOptions = {}): Datapath {
  const override = opts.override ?? parseDatapath(process.env.MM_OVS_DATAPATH);
  if (override && override !== 'auto') return override;
  const loaded = () => existsSync(`${opts.sysModule ?? '/sys/module'}/openvswitch`);
  if (loaded()) return 'system';
  if (opts.probe !== false) {
    // loadable: load it as ovs-ctl would; a module that exists but cannot be
    // loaded here (containers) must not leave us with bridges that fail
    const r = spawnSync('modprobe', ['-n', '-q', 'openvswitch'], { stdio: 'ignore' });
    if (r.status === 0) {
      spawnSync('modprobe', ['-q', 'openvswitch'], { stdio: 'ignore' });
      if (loaded()) return 'system';
    }
  }
  return 'netdev';
}
