// Which OVS datapath new bridges get: the kernel one when the openvswitch
// module is loaded or loadable, else the userspace `netdev` datapath (which
// works with tap ports on any kernel that has /dev/net/tun).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Datapath } from './switch.js';

export interface DetectDatapathOptions {
  /** where kernel modules show up (tests) */
  sysModule?: string;
  /** whether `modprobe -n openvswitch` may be consulted (default true) */
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
  if (existsSync(`${opts.sysModule ?? '/sys/module'}/openvswitch`)) return 'system';
  if (opts.probe !== false) {
    const r = spawnSync('modprobe', ['-n', '-q', 'openvswitch'], { stdio: 'ignore' });
    if (r.status === 0) return 'system';
  }
  return 'netdev';
}
