// Reaching Open vSwitch: the one named by OVS_RUNDIR (or the system one); when
// none answers and `embedded` allows it, a private instance under <base>/ovs
// that lives as long as the provider. Connected lazily, on first use, so a
// daemon that never touches the network never needs OVS.
import { join } from 'node:path';
import { parseDatapath } from '../datapath.js';
import { OvsNotRunningError } from '../errors.js';
import { adoptPrivateOvs, type PrivateOvs, startPrivateOvs } from '../private-ovs.js';
import { createOvsSwitch } from '../real-switch.js';
import type { Datapath, Switch } from '../switch.js';
import type { NetLogger } from './types.js';

export interface SwitchProvider {
  /** the switch, connecting (or starting the embedded OVS) on first use */
  get(): Promise<Switch>;
  /** whether a switch was obtained (teardown skips OVS otherwise) */
  readonly connected: boolean;
  /** stops the embedded OVS if this daemon started one */
  close(): Promise<void>;
}

export interface SwitchProviderOptions {
  base: string;
  /** start a private OVS when none is reachable (flag -ovs-embedded, default true) */
  embedded: boolean;
  /** -recover: reuse a private OVS a crashed daemon left in <base>/ovs */
  adopt?: boolean;
  /** -ovs-datapath: system, netdev or auto */
  datapath: string;
  log: NetLogger;
}

export function createSwitchProvider(opts: SwitchProviderOptions): SwitchProvider {
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
