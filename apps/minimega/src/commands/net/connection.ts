// Reaching Open vSwitch: the one named by OVS_RUNDIR (or the system one); when
// none answers and -ovs-embedded allows it, a private instance under
// <base>/ovs that lives as long as the daemon. Connected lazily, on the first
// networking command, so daemons that never touch the network never need OVS.
import { join } from 'node:path';
import {
  adoptPrivateOvs,
  createOvsSwitch,
  type Datapath,
  OvsNotRunningError,
  type PrivateOvs,
  parseDatapath,
  type Switch,
  startPrivateOvs,
} from '@mm/ovs';
import type { Logger } from '../../context.js';

export interface SwitchProvider {
  /** the switch, connecting (or starting the embedded OVS) on first use */
  get(): Promise<Switch>;
  /** whether a switch was obtained (teardown skips OVS otherwise) */
  readonly connected: boolean;
  /** stops the embedded OVS if this daemon started one */
  close(): Promise<void>;
}

export interface ConnectOptions {
  base: string;
  /** start a private OVS when none is reachable (flag -ovs-embedded, default true) */
  embedded: boolean;
  /** -recover: reuse a private OVS a crashed daemon left in <base>/ovs */
  adopt?: boolean;
  /** -ovs-datapath: system, netdev or auto */
  datapath: string;
  log: Logger;
}

export function flagBool(v: unknown, dflt: boolean): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') return !['false', '0', 'f', 'F', 'FALSE', 'False'].includes(v);
  return dflt;
}

export function createSwitchProvider(opts: ConnectOptions): SwitchProvider {
  let pending: Promise<Switch> | undefined;
  let embedded: PrivateOvs | undefined;
  let savedEnv: Record<string, string | undefined> | undefined;
  let connected = false;
  const datapath: Datapath | 'auto' = parseDatapath(opts.datapath) ?? 'auto';

  async function connect(): Promise<Switch> {
    const system = createOvsSwitch({ datapath });
    try {
      await system.check();
      opts.log.info(`using Open vSwitch at ${process.env.OVS_RUNDIR ?? 'the system rundir'}`);
      return system;
    } catch (err) {
      if (!(err instanceof OvsNotRunningError) || !opts.embedded) throw err;
      opts.log.info(`no Open vSwitch reachable (${err.message}); starting a private one`);
    }
    const dir = join(opts.base, 'ovs');
    // -recover: the crashed daemon's OVS still holds its bridges and ports: keep it
    const adopted = opts.adopt ? await adoptPrivateOvs({ dir }) : undefined;
    if (adopted) opts.log.info(`adopted the private Open vSwitch left running in ${dir}`);
    embedded = adopted ?? (await startPrivateOvs({ dir }));
    // child processes (`shell ovs-vsctl ...`) must find the same instance
    savedEnv = {};
    for (const [k, v] of Object.entries(embedded.env)) {
      savedEnv[k] = process.env[k];
      process.env[k] = v;
    }
    const sw = createOvsSwitch({ datapath, env: embedded.env });
    await sw.check();
    opts.log.info(`started a private Open vSwitch in ${dir} (datapath ${sw.datapath})`);
    return sw;
  }

  return {
    get() {
      pending ??= connect().then(
        (sw) => {
          connected = true;
          return sw;
        },
        (err: unknown) => {
          pending = undefined; // retry on the next command
          throw err;
        },
      );
      return pending;
    },
    get connected() {
      return connected;
    },
    async close() {
      if (embedded) {
        await embedded.close();
        embedded = undefined;
      }
      if (savedEnv) {
        for (const [k, v] of Object.entries(savedEnv)) {
          if (v === undefined) delete process.env[k];
          else process.env[k] = v;
        }
        savedEnv = undefined;
      }
      pending = undefined;
      connected = false;
    },
  };
}

/** A provider around a given switch (tests, the fake). */
export function fixedSwitchProvider(sw: Switch): SwitchProvider {
  return {
    get: async () => sw,
    connected: true,
    close: async () => {},
  };
}
