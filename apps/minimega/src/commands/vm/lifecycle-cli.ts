// `vm start|stop|kill <target>`, `vm flush [target]`, `vm info [summary]`.
import type { KvmVm } from '@mm/qemu';
import { INFO_COLUMNS, infoRow, SUMMARY_COLUMNS } from './format.js';
import { resolveNs, VM_STATE, type VmModuleContext } from './state.js';
import { applyTargets, expandTargets, vmSuggester } from './targets.js';

/** Removes a QUIT/ERROR VM: its taps, its instance dir, its map entry. */
export async function flushVm(
  m: VmModuleContext,
  vms: Map<number, KvmVm>,
  vm: KvmVm,
): Promise<void> {
  const net = m.d.services.networking;
  for (const nic of vm.config.networks) {
    if (!nic.tap || !net) continue;
    await net.deleteTap({ bridge: nic.bridge, tap: nic.tap }).catch((err: unknown) => {
      m.d.log.warn(`unable to delete tap ${nic.tap}: ${(err as Error).message}`);
    });
  }
  await vm.flush();
  vms.delete(vm.id);
}

export function registerLifecycle(m: VmModuleContext): void {
  const { d } = m;
  const suggestVms = (applies: (vm: KvmVm) => boolean) => vmSuggester(d, { applies, wild: true });
  const target = (
    verb: string,
    help: string,
    fn: (vm: KvmVm, wild: boolean, signal?: AbortSignal) => Promise<boolean>,
    applies: (vm: KvmVm) => boolean,
  ) =>
    d.cli.register({
      helpShort: help,
      helpLong: `${help[0]!.toUpperCase()}${help.slice(1)}. Target one VM by name or id, a range (foo[1-3]) or all.`,
      patterns: [`vm ${verb} <vm target>`],
      suggest: suggestVms(applies),
      async call(cmd, out, env) {
        const ns = await resolveNs(d, cmd.namespace);
        const t = expandTargets(cmd.stringArgs.vm!, ns.slot(VM_STATE).vms.values());
        await applyTargets(t, (vm) => fn(vm, t.wild, env.signal));
        out.respond({});
      },
    });

  target(
    'start',
    'start paused virtual machines',
    (vm, wild, signal) => vm.start({ wild, signal }),
    (vm) => vm.state !== 'RUNNING',
  );
  target(
    'stop',
    'stop (pause) running virtual machines',
    (vm) => vm.stop(),
    (vm) => vm.state === 'RUNNING',
  );
  target(
    'kill',
    'kill running virtual machines',
    (vm) => vm.kill(),
    (vm) => vm.state === 'BUILDING' || vm.state === 'RUNNING' || vm.state === 'PAUSED',
  );

  d.cli.register({
    helpShort: 'discard information about quit or failed VMs',
    helpLong:
      'Discard information about VMs that have quit or failed (all of them, or a target), removing their taps and state directories.',
    patterns: ['vm flush [vm target]'],
    suggest: suggestVms((vm) => vm.state === 'QUIT' || vm.state === 'ERROR'),
    async call(cmd, out) {
      const ns = await resolveNs(d, cmd.namespace);
      const vms = ns.slot(VM_STATE).vms;
      const arg = cmd.stringArgs.vm;
      const t = expandTargets(arg ?? 'all', vms.values());
      if (!t.wild && t.names.length === 1 && t.missing.length === 1)
        throw new Error(`vm not found: ${t.missing[0]}`);
      const errors: string[] = [];
      for (const vm of t.vms) {
        if (vm.state !== 'QUIT' && vm.state !== 'ERROR') continue;
        try {
          await flushVm(m, vms, vm);
        } catch (err) {
          if (arg === undefined || t.wild)
            d.log.error(`flush ${vm.name}: ${(err as Error).message}`);
          else errors.push((err as Error).message);
        }
      }
      out.respond({ error: errors.join('\n') });
    },
  });

  d.cli.register({
    helpShort: 'print information about VMs',
    helpLong: `Print information about VMs in tabular form: ${INFO_COLUMNS.join(', ')}.
"vm info summary" prints ${SUMMARY_COLUMNS.join(', ')}. Use .columns and .filter to narrow it.`,
    patterns: ['vm info [summary,]'],
    async call(cmd, out) {
      const ns = await resolveNs(d, cmd.namespace);
      const vms = [...ns.slot(VM_STATE).vms.values()].sort((a, b) => a.id - b.id);
      const cols = cmd.boolArgs.summary ? SUMMARY_COLUMNS : INFO_COLUMNS;
      const now = Date.now();
      const rows = vms.map((vm) => {
        const r = infoRow(d, vm, now);
        return cols.map((c) => r[c]);
      });
      out.respond({
        header: [...cols],
        tabular: rows,
        data: vms.map((vm) => ({ ...infoRow(d, vm, now), namespace: vm.namespace, host: vm.host })),
      });
    },
  });
}
