// `vm net add|connect|disconnect` (vm-qemu.md §7.2): NIC changes on launched
// VMs. The specs and VLAN words are parsed and resolved here; the host that
// runs the VM makes the taps (its NicAttacher) and hot-plugs them.
import type { HandlerSpec } from '@mm/cli-grammar';
import { parseNetspec, probeNicDrivers, type VmNetOp } from '@mm/qemu';
import { resolveVlan } from './config-cli.js';
import type { VmModuleContext } from './index.js';
import { resolveNs } from './state.js';
import { targetFanout } from './targets.js';

export function registerNet(m: VmModuleContext): void {
  const { d } = m;

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
      const verb = cmd.words[2];
      let op: VmNetOp;
      const position = () => {
        const raw = cmd.stringArgs.tap!;
        // minimega answers strconv's error; name the word the user typed
        if (!/^\d+$/.test(raw))
          throw new Error(`invalid tap position: \`${raw}\` (expected 0, 1, ...)`);
        return Number(raw);
      };
      if (verb === 'add') {
        const config = ns.vmConfigs.current;
        const drivers = await probeNicDrivers(config.qemu, config.machine).catch(() => []);
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
        op = { op: 'add', nics };
      } else if (verb === 'connect') {
        const word = cmd.stringArgs.vlan!;
        op = {
          op: 'connect',
          position: position(),
          vlan: resolveVlan(d, ns.name, word),
          alias: word,
          bridge: cmd.stringArgs.bridge ?? '',
        };
      } else {
        op = { op: 'disconnect', position: position() };
      }
      const opts = env.signal ? { signal: env.signal } : {};
      out.emit(await targetFanout(d, cmd, cmd.stringArgs.vm!, (h, sel) => h.net(sel, op, opts)));
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
