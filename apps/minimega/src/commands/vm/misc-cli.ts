// `vm tag`, `clear vm tag`, `vm screenshot`, `vm qmp`, `vm cdrom`,
// `vm hotplug` (vm-qemu.md §7.2): parse, call the namespace's
// hosts (the one that has the VM for single-VM commands), render.

import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import { splitList } from '@mm/cli-grammar';
import { hotplugPathProblem } from '../../daemon/served-files.js';
import type { VmModuleContext } from './index.js';
import { cluster, resolveNs, row, scopeHosts } from './state.js';
import { oneVm, targetFanout, vmSuggester } from './targets.js';

export function registerMisc(m: VmModuleContext): void {
  const { d } = m;

  d.cli.register({
    helpShort: 'display or set a tag for the specified VM',
    helpLong:
      'Display or set tags on VMs: "vm tag <target> [key|all]" reads, "vm tag <target> <key> <value>" writes.',
    patterns: ['vm tag <vm target> [key or all]', 'vm tag <vm target> <key> <value>'],
    suggest: vmSuggester(d, { wild: true }),
    async call(cmd, out) {
      const key = cmd.stringArgs.key;
      const value = cmd.stringArgs.value;
      if (value !== undefined) {
        if (key === 'all') throw new Error('cannot assign to wildcard');
        out.emit(
          await targetFanout(d, cmd, cmd.stringArgs.vm!, (h, sel) =>
            h.tag(sel, { op: 'set', key: key!, value }),
          ),
        );
        return;
      }
      const ns = await resolveNs(d, cmd.namespace);
      const targets = splitList(cmd.stringArgs.vm!);
      const res = await cluster(d).each(scopeHosts(d, cmd, ns), (h) =>
        h.list({ namespace: ns.name, targets }),
      );
      const found = res.some((r) => r.ok && r.value.length > 0);
      if (!found && !targets.includes('all') && targets.length === 1)
        throw new Error(`vm not found: ${targets[0]}`);
      out.emit(
        res.map((r) => {
          if (!r.ok) return row(r.host, { error: r.error.message });
          if (key === undefined || key === 'all') {
            const rows = r.value.flatMap((vm) =>
              Object.entries(vm.tags).map(([k, v]) => [vm.name, k, v]),
            );
            return row(r.host, { header: ['name', 'tag', 'value'], tabular: rows });
          }
          return row(r.host, {
            header: ['name', 'value'],
            tabular: r.value.map((vm) => [vm.name, vm.tags[key] ?? '']),
          });
        }),
      );
    },
  });

  d.cli.register({
    helpShort: 'remove tags from VMs',
    helpLong: 'Remove a tag (or all tags) from VMs (or all VMs).',
    patterns: ['clear vm tag', 'clear vm tag <vm target> [tag]'],
    suggest: vmSuggester(d, { wild: true }),
    async call(cmd, out) {
      const key = cmd.stringArgs.tag ?? 'all';
      out.emit(
        await targetFanout(d, cmd, cmd.stringArgs.vm ?? 'all', (h, sel) =>
          h.tag(sel, { op: 'clear', key }),
        ),
      );
    },
  });

  d.cli.register({
    helpShort: 'take a screenshot of a running VM',
    helpLong:
      'Take a PNG screenshot of a running VM, scaled to fit max x max pixels when max is given; saved in the VM directory or to a file.',
    patterns: [
      'vm screenshot <vm name> [maximum dimension]',
      'vm screenshot <vm name> file <filename> [maximum dimension]',
    ],
    suggest: vmSuggester(d, { wild: false }),
    async call(cmd, out) {
      const maxRaw = cmd.stringArgs.maximum ?? '0';
      if (!/^\d+$/.test(maxRaw))
        throw new Error(
          `invalid maximum dimension: \`${maxRaw}\` (a number of pixels, or 0 for full size)`,
        );
      const { host, value } = await oneVm(d, cmd, cmd.stringArgs.vm!, (h, ref) =>
        h.screenshot(ref, Number(maxRaw)),
      );
      const png = Buffer.from(value);
      const file = cmd.stringArgs.filename;
      if (file) {
        const dst = isAbsolute(file) ? file : join(d.flags.filepath, file);
        await mkdir(dirname(dst), { recursive: true });
        await writeFile(dst, png);
      }
      out.emit([row(host, { data: png.toString('base64') })]);
    },
  });

  d.cli.register({
    helpShort: 'issue a JSON-encoded QMP command',
    helpLong: `Issue a JSON-encoded QMP command to a KVM VM and print the reply, e.g.
vm qmp foo '{ "execute": "query-status" }'`,
    patterns: ['vm qmp <vm name> <qmp command>'],
    suggest: vmSuggester(d, { wild: false }),
    async call(cmd, out) {
      const { host, value } = await oneVm(d, cmd, cmd.stringArgs.vm!, (h, ref) =>
        h.qmp(ref, cmd.stringArgs.qmp!),
      );
      out.emit([row(host, { response: value })]);
    },
  });

  d.cli.register({
    helpShort: "eject or change an active VM's cdrom",
    helpLong: 'Eject the cdrom of VMs, or change it to a file (which must exist as given).',
    patterns: [
      'vm cdrom eject <vm target> [force,]',
      'vm cdrom change <vm target> <path> [force,]',
    ],
    suggest: vmSuggester(d, { wild: true }),
    async call(cmd, out) {
      const force = cmd.boolArgs.force === true;
      const op =
        cmd.boolArgs.eject || cmd.words[2] === 'eject'
          ? { op: 'eject' as const, force }
          : { op: 'change' as const, path: cmd.stringArgs.path!, force };
      out.emit(await targetFanout(d, cmd, cmd.stringArgs.vm!, (h, sel) => h.cdrom(sel, op)));
    },
  });

  d.cli.register({
    helpShort: 'add and remove USB drives',
    helpLong:
      'List, add (vm hotplug add <target> <file> [serial <s>] [version]) or remove USB storage devices on KVM VMs.',
    patterns: [
      'vm hotplug',
      'vm hotplug add <vm target> <filename> [version]',
      'vm hotplug add <vm target> <filename> serial <serial> [version]',
      'vm hotplug remove <vm target> <disk id or all>',
    ],
    suggest: vmSuggester(d, { wild: true }),
    async call(cmd, out) {
      const verb = cmd.words[2];
      if (verb === undefined) {
        const ns = await resolveNs(d, cmd.namespace);
        const res = await cluster(d).each(scopeHosts(d, cmd, ns), (h) =>
          h.list({ namespace: ns.name }),
        );
        out.emit(
          res.map((r) =>
            r.ok
              ? row(r.host, {
                  header: ['name', 'id', 'file', 'version'],
                  tabular: r.value.flatMap((vm) =>
                    vm.hotplug.map((h) => [vm.name, String(h.id), h.file, h.version]),
                  ),
                })
              : row(r.host, { error: r.error.message }),
          ),
        );
        return;
      }
      let op: Parameters<import('@mm/qemu').VmHost['hotplug']>[1];
      if (verb === 'add') {
        // the path goes into a QEMU monitor command on the VM's host (served-files.ts)
        const why = hotplugPathProblem(cmd.stringArgs.filename!);
        if (why) throw new Error(why);
        op = {
          op: 'add',
          file: cmd.stringArgs.filename!,
          version: cmd.stringArgs.version ?? '',
          serial: cmd.stringArgs.serial ?? '',
        };
      } else {
        const which = cmd.stringArgs.disk!;
        if (which !== 'all' && !/^\d+$/.test(which)) throw new Error(`invalid disk: \`${which}\``);
        op = { op: 'remove', disk: which === 'all' ? 'all' : Number(which) };
      }
      out.emit(await targetFanout(d, cmd, cmd.stringArgs.vm!, (h, sel) => h.hotplug(sel, op)));
    },
  });
}
