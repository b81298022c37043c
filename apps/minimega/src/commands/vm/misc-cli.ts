// `vm tag`, `clear vm tag`, `vm screenshot`, `vm qmp`, `vm cdrom`,
// `vm hotplug`, `vm save` (vm-qemu.md §7.2).

import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import type { KvmVm } from '@mm/qemu';
import { resolveNs, VM_STATE, type VmModuleContext } from './state.js';
import { applyTargets, expandTargets, vmSuggester } from './targets.js';

export function registerMisc(m: VmModuleContext): void {
  const { d } = m;
  const vmsOf = async (nsTag: string) => (await resolveNs(d, nsTag)).slot(VM_STATE).vms;
  const one = async (nsTag: string, name: string): Promise<KvmVm> => {
    const t = expandTargets(name, (await vmsOf(nsTag)).values());
    const vm = t.wild ? undefined : t.vms[0];
    if (!vm || t.vms.length !== 1) throw new Error(`vm not found: ${name}`);
    return vm;
  };

  d.cli.register({
    helpShort: 'display or set a tag for the specified VM',
    helpLong:
      'Display or set tags on VMs: "vm tag <target> [key|all]" reads, "vm tag <target> <key> <value>" writes.',
    patterns: ['vm tag <vm target> [key or all]', 'vm tag <vm target> <key> <value>'],
    suggest: vmSuggester(d, { wild: true }),
    async call(cmd, out) {
      const t = expandTargets(cmd.stringArgs.vm!, (await vmsOf(cmd.namespace)).values());
      const key = cmd.stringArgs.key;
      const value = cmd.stringArgs.value;
      if (value !== undefined) {
        if (key === 'all') throw new Error('cannot assign to wildcard');
        await applyTargets(t, async (vm) => {
          vm.config.tags[key!] = value;
          return true;
        });
        out.respond({});
        return;
      }
      if (!t.wild && t.names.length === 1 && t.missing.length === 1)
        throw new Error(`vm not found: ${t.missing[0]}`);
      if (key === undefined || key === 'all') {
        const rows = t.vms.flatMap((vm) =>
          Object.entries(vm.config.tags).map(([k, v]) => [vm.name, k, v]),
        );
        out.respond({ header: ['name', 'tag', 'value'], tabular: rows });
      } else {
        out.respond({
          header: ['name', 'value'],
          tabular: t.vms.map((vm) => [vm.name, vm.config.tags[key] ?? '']),
        });
      }
    },
  });

  d.cli.register({
    helpShort: 'remove tags from VMs',
    helpLong: 'Remove a tag (or all tags) from VMs (or all VMs).',
    patterns: ['clear vm tag', 'clear vm tag <vm target> [tag]'],
    suggest: vmSuggester(d, { wild: true }),
    async call(cmd, out) {
      const t = expandTargets(cmd.stringArgs.vm ?? 'all', (await vmsOf(cmd.namespace)).values());
      const tag = cmd.stringArgs.tag ?? 'all';
      await applyTargets(t, async (vm) => {
        if (tag === 'all') for (const k of Object.keys(vm.config.tags)) delete vm.config.tags[k];
        else delete vm.config.tags[tag];
        return true;
      });
      out.respond({});
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
      const vm = await one(cmd.namespace, cmd.stringArgs.vm!);
      const maxRaw = cmd.stringArgs.maximum ?? '0';
      if (!/^\d+$/.test(maxRaw))
        throw new Error(
          `invalid maximum dimension: \`${maxRaw}\` (a number of pixels, or 0 for full size)`,
        );
      const png = await vm.screenshot(Number(maxRaw));
      const file = cmd.stringArgs.filename;
      if (file) {
        const dst = isAbsolute(file) ? file : join(d.flags.filepath, file);
        await mkdir(dirname(dst), { recursive: true });
        await writeFile(dst, png);
      }
      out.respond({ data: png.toString('base64') });
    },
  });

  d.cli.register({
    helpShort: 'issue a JSON-encoded QMP command',
    helpLong: `Issue a JSON-encoded QMP command to a KVM VM and print the reply, e.g.
vm qmp foo '{ "execute": "query-status" }'`,
    patterns: ['vm qmp <vm name> <qmp command>'],
    suggest: vmSuggester(d, { wild: false }),
    async call(cmd, out) {
      const vm = await one(cmd.namespace, cmd.stringArgs.vm!);
      out.respond({ response: await vm.qmp(cmd.stringArgs.qmp!) });
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
      const t = expandTargets(cmd.stringArgs.vm!, (await vmsOf(cmd.namespace)).values());
      const force = cmd.boolArgs.force === true;
      if (cmd.boolArgs.eject || cmd.words[2] === 'eject') {
        await applyTargets(t, async (vm) => {
          await vm.cdromEject(force);
          return true;
        });
      } else {
        await applyTargets(t, async (vm) => {
          await vm.cdromChange(cmd.stringArgs.path!, force);
          return true;
        });
      }
      out.respond({});
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
      const vms = await vmsOf(cmd.namespace);
      const verb = cmd.words[2];
      if (verb === undefined) {
        const rows = [...vms.values()].flatMap((vm) =>
          [...vm.hotplug.entries()].map(([id, h]) => [vm.name, String(id), h.file, h.version]),
        );
        out.respond({ header: ['name', 'id', 'file', 'version'], tabular: rows });
        return;
      }
      const t = expandTargets(cmd.stringArgs.vm!, vms.values());
      if (verb === 'add') {
        await applyTargets(t, async (vm) => {
          await vm.hotplugAdd(
            cmd.stringArgs.filename!,
            cmd.stringArgs.version ?? '',
            cmd.stringArgs.serial ?? '',
          );
          return true;
        });
      } else {
        const which = cmd.stringArgs.disk!;
        await applyTargets(t, async (vm) => {
          try {
            if (which === 'all') {
              if (vm.hotplug.size === 0) throw new Error('no hotplug devices to remove');
              for (const id of [...vm.hotplug.keys()]) await vm.hotplugRemove(id);
            } else {
              if (!/^\d+$/.test(which)) throw new Error(`invalid disk: \`${which}\``);
              await vm.hotplugRemove(Number(which));
            }
          } catch (err) {
            if (!t.wild) throw err;
          }
          return true;
        });
      }
      out.respond({});
    },
  });

  d.cli.register({
    helpShort: "save a VM's disk and memory state",
    helpLong: `Save a running VM's snapshot disk(s) and memory state to files (default
saved/<name> under the files directory). With no VM, print migration progress.`,
    patterns: ['vm save', 'vm save <vm name> [filename]'],
    suggest: vmSuggester(d, { wild: false }),
    async call(cmd, out) {
      const vms = await vmsOf(cmd.namespace);
      const name = cmd.stringArgs.vm;
      if (name === undefined) {
        const rows: string[][] = [];
        for (const vm of [...vms.values()].sort((a, b) => a.id - b.id)) {
          const s = await vm.migrateStatus().catch(() => undefined);
          if (s) rows.push([String(vm.id), vm.name, s.status, s.complete]);
        }
        out.respond({ header: ['id', 'name', 'status', 'complete (%)'], tabular: rows });
        return;
      }
      const vm = await one(cmd.namespace, name);
      const f = cmd.stringArgs.filename ?? join('saved', vm.name);
      await vm.save(isAbsolute(f) ? f : join(d.flags.filepath, f));
      out.respond({});
    },
  });
}
