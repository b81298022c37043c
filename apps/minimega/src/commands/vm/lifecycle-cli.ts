// `vm start|stop|kill <target>`, `vm flush [target]`, `vm info [summary]`:
// parse, call every host of the namespace, render one row per host.
import type { VmRecord } from '@mm/qemu';
import { INFO_COLUMNS, infoRow, SUMMARY_COLUMNS } from './format.js';
import type { VmModuleContext } from './index.js';
import { cluster, resolveNs, row, scopeHosts } from './state.js';
import { targetFanout, vmSuggester } from './targets.js';

export function registerLifecycle(m: VmModuleContext): void {
  const { d } = m;
  const suggestVms = (applies: (vm: VmRecord) => boolean) =>
    vmSuggester(d, { applies, wild: true });
  const target = (
    verb: 'start' | 'stop' | 'kill',
    help: string,
    applies: (vm: VmRecord) => boolean,
  ) =>
    d.cli.register({
      helpShort: help,
      helpLong: `${help[0]!.toUpperCase()}${help.slice(1)}. Target one VM by name or id, a range (foo[1-3]) or all.`,
      patterns: [`vm ${verb} <vm target>`],
      suggest: suggestVms(applies),
      async call(cmd, out, env) {
        const opts = env.signal ? { signal: env.signal } : {};
        out.emit(await targetFanout(d, cmd, cmd.stringArgs.vm!, (h, sel) => h[verb](sel, opts)));
      },
    });

  target('start', 'start paused virtual machines', (vm) => vm.state !== 'RUNNING');
  target('stop', 'stop (pause) running virtual machines', (vm) => vm.state === 'RUNNING');
  target(
    'kill',
    'kill running virtual machines',
    (vm) => vm.state === 'BUILDING' || vm.state === 'RUNNING' || vm.state === 'PAUSED',
  );

  d.cli.register({
    helpShort: 'discard information about quit or failed VMs',
    helpLong:
      'Discard information about VMs that have quit or failed (all of them, or a target), removing their taps and state directories.',
    patterns: ['vm flush [vm target]'],
    suggest: suggestVms((vm) => vm.state === 'QUIT' || vm.state === 'ERROR'),
    async call(cmd, out, env) {
      const opts = env.signal ? { signal: env.signal } : {};
      out.emit(
        await targetFanout(d, cmd, cmd.stringArgs.vm ?? 'all', (h, sel) => h.flush(sel, opts)),
      );
    },
  });

  d.cli.register({
    helpShort: 'print information about VMs',
    helpLong: `Print information about VMs in tabular form: ${INFO_COLUMNS.join(', ')}.
"vm info summary" prints ${SUMMARY_COLUMNS.join(', ')}. Use .columns and .filter to narrow it.`,
    patterns: ['vm info [summary,]'],
    async call(cmd, out, env) {
      const ns = await resolveNs(d, cmd.namespace);
      const cols = cmd.boolArgs.summary ? SUMMARY_COLUMNS : INFO_COLUMNS;
      const opts = env.signal ? { signal: env.signal } : {};
      const res = await cluster(d).each(scopeHosts(d, cmd, ns), (h) =>
        h.list({ namespace: ns.name }, opts),
      );
      const now = Date.now();
      out.emit(
        res.map((r) => {
          if (!r.ok) return row(r.host, { error: r.error.message });
          const rows = r.value.map((vm) => infoRow(d, vm, now));
          return row(r.host, {
            header: [...cols],
            tabular: rows.map((x) => cols.map((c) => x[c])),
            data: r.value.map((vm, i) => ({
              ...rows[i],
              namespace: vm.namespace,
              host: vm.host,
            })),
          });
        }),
      );
    },
  });
}
