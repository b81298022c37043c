// `vm net add|connect|disconnect` (vm-qemu.md §7.2): NIC changes on launched
// VMs. Taps and bridges are the networking module's (services.networking);
// the VM side is the NIC list, the QMP hot-plug and the config file.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { HandlerSpec } from '@mm/cli-grammar';
import {
  configFile,
  DEFAULT_BRIDGE,
  type KvmVm,
  parseNetspec,
  probeNicDrivers,
  randomMac,
} from '@mm/qemu';
import { resolveVlan } from './config-cli.js';

import { resolveNs, VM_STATE, type VmModuleContext } from './state.js';
import { createNicTap } from './taps.js';
import { applyTargets, expandTargets } from './targets.js';

function nicAt(vm: KvmVm, raw: string) {
  const pos = Number(raw);
  const n = vm.config.networks.length;
  if (!/^\d+$/.test(raw) || pos >= n) {
    throw new Error(`no network ${raw}, VM only has ${n} networks`);
  }
  return vm.config.networks[pos]!;
}

async function writeConfig(vm: KvmVm): Promise<void> {
  await writeFile(join(vm.instanceDir, 'config'), configFile(vm.config)).catch(() => {});
}

export function registerNet(m: VmModuleContext): void {
  const { d } = m;
  const networking = () => {
    const net = d.services.networking;
    if (!net) throw new Error('unable to change VM networks: the networking module is not running');
    return net;
  };

  const spec = {
    helpShort: 'add, connect or disconnect VM network interfaces',
    helpLong: `vm net add <target> <netspec>... hot-plugs new interfaces (on new taps);
vm net connect <target> <position> <vlan> [bridge] moves interface <position>
to a VLAN (and bridge); vm net disconnect <target> <position> takes it off its
bridge.`,
    patterns: [
      'vm net add <vm target> <netspec>...',
      'vm net connect <vm target> <tap position> <vlan> [bridge]',
      'vm net disconnect <vm target> <tap position>',
    ],
    async call(cmd, out, env) {
      const ns = await resolveNs(d, cmd.namespace);
      const t = expandTargets(cmd.stringArgs.vm!, ns.slot(VM_STATE).vms.values());
      const net = networking();
      const verb = cmd.words[2];
      if (verb === 'add') {
        await applyTargets(t, async (vm) => {
          const drivers = await probeNicDrivers(vm.config.qemu, vm.config.machine).catch(() => []);
          // as in minimega, every spec is parsed before anything is added, so
          // a bad one among several adds nothing (and the error names it)
          const nics = (cmd.listArgs.netspec ?? []).map((spec) => {
            try {
              const nic = parseNetspec(spec, { drivers });
              nic.vlan = resolveVlan(d, ns.name, nic.alias);
              return nic;
            } catch (err) {
              throw new Error(`${(err as Error).message}: \`${spec}\``, { cause: err });
            }
          });
          // a failed hot-plug does not stop the others; each failure is reported
          const failures: string[] = [];
          for (const nic of nics) {
            try {
              if (!nic.mac) nic.mac = randomMac();
              await createNicTap(net, ns.name, vm, nic, env.signal);
              try {
                await vm.netAdd(nic);
              } catch (err) {
                await net.deleteTap({ bridge: nic.bridge, tap: nic.tap }).catch(() => {});
                throw err;
              }
            } catch (err) {
              failures.push((err as Error).message);
            }
          }
          await writeConfig(vm);
          if (failures.length > 0) throw new Error(failures.join('\n'));
          return true;
        });
      } else if (verb === 'connect') {
        await applyTargets(t, async (vm) => {
          const nic = nicAt(vm, cmd.stringArgs.tap!);
          const word = cmd.stringArgs.vlan!;
          const bridge = cmd.stringArgs.bridge || nic.bridge || DEFAULT_BRIDGE;
          const vlan = resolveVlan(d, ns.name, word);
          if (nic.vlan >= 0 && nic.bridge && nic.bridge !== bridge) {
            await net.disconnectTap?.({ bridge: nic.bridge, tap: nic.tap, signal: env.signal });
          }
          if (!net.connectTap) throw new Error('the networking module cannot move taps');
          await net.connectTap({ bridge, tap: nic.tap, vlan, signal: env.signal });
          nic.alias = word;
          nic.vlan = vlan;
          nic.bridge = bridge;
          await writeConfig(vm);
          return true;
        });
      } else {
        await applyTargets(t, async (vm) => {
          const nic = nicAt(vm, cmd.stringArgs.tap!);
          if (nic.vlan < 0 && nic.bridge === '') return true;
          if (!net.disconnectTap) throw new Error('the networking module cannot detach taps');
          await net.disconnectTap({ bridge: nic.bridge, tap: nic.tap, signal: env.signal });
          nic.bridge = '';
          nic.vlan = -1;
          await writeConfig(vm);
          return true;
        });
      }
      out.respond({});
    },
  } satisfies HandlerSpec;
  try {
    d.cli.register(spec);
  } catch (err) {
    // the networking module may own `vm net` itself: theirs wins, the daemon still starts
    if ((err as { code?: string }).code !== 'ERR_CONFLICT') throw err;
    d.log.warn(`vm net: already registered by another module (${(err as Error).message})`);
  }
}
