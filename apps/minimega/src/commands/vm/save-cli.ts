// `vm save`, and its deprecated forms `vm migrate` and `vm snapshot`
// (vm-qemu.md §7.2): save a VM's memory state (QMP migrate) and its disk
// overlays on the host that runs it; with no VM, the progress table of
// every host of the namespace.
import { isAbsolute, join } from 'node:path';
import type { Batch, CallEnv, Command, Output } from '@mm/cli-grammar';
import type { SaveTarget } from '@mm/qemu';
import type { Daemon } from '../../context.js';
import type { VmModuleContext } from './index.js';
import { type CommandScope, cluster, resolveNs, row, scopeHosts } from './state.js';
import { oneVm, vmSuggester } from './targets.js';

export const SAVE_STATUS_HEADER = ['id', 'name', 'status', 'complete (%)'];

/** A file name as given: relative ones go under the files dir (on the VM's host, the same -filepath). */
function underFiles(d: Daemon, f: string): string {
  if (f.trim() === '') throw new Error('empty file name');
  return isAbsolute(f) ? f : join(d.flags.filepath, f);
}

/** `vm save` with no VM: each host's saves in the namespace. */
async function statusRows(d: Daemon, cmd: CommandScope, signal?: AbortSignal): Promise<Batch> {
  const ns = await resolveNs(d, cmd.namespace);
  const opts = signal ? { signal } : {};
  const res = await cluster(d).each(scopeHosts(d, cmd, ns), (h) => h.saveStatus(ns.name, opts));
  return res.map((r) =>
    r.ok
      ? row(r.host, {
          header: SAVE_STATUS_HEADER,
          tabular: r.value.map((s) => [String(s.id), s.name, s.status, s.complete]),
        })
      : row(r.host, { error: r.error.message }),
  );
}

/** Saves VM `name` of the command's namespace on the host that has it. */
export async function saveVm(
  d: Daemon,
  cmd: CommandScope,
  name: string,
  target: SaveTarget,
  signal?: AbortSignal,
): Promise<Batch> {
  const opts = signal ? { signal } : {};
  const { host } = await oneVm(d, cmd, name, (h, ref) => h.save(ref, target, opts));
  return [row(host)];
}

/**
 * The call of `vm save` and its deprecated forms: with no VM, the progress
 * table; else the VM saved to the files `target` names from the arguments.
 */
function saveCall(
  d: Daemon,
  target: (args: Command['stringArgs'], vm: string) => SaveTarget,
): (cmd: Command, out: Output, env: CallEnv) => Promise<void> {
  return async (cmd, out, env) => {
    const name = cmd.stringArgs.vm;
    if (name === undefined) out.emit(await statusRows(d, cmd, env.signal));
    else out.emit(await saveVm(d, cmd, name, target(cmd.stringArgs, name), env.signal));
  };
}

export function registerSave(m: VmModuleContext): void {
  const { d } = m;
  const suggest = vmSuggester(d, { wild: false });

  d.cli.register({
    helpShort: "save a VM's disk and memory state",
    helpLong: `Save a VM's memory state and snapshot disk to files it can later boot from
with 'vm config state ...' and 'vm config disks ...'. The VM is paused first,
so both are the same moment. Files are <filename>.state and <filename>.hdd
(further disks .hdd.1, .hdd.2, ...); a relative filename is under the files
directory, the default is saved/<vm name>. The disk is copied before this
returns; the state is written in the background: 'vm save' with no VM prints
each save's progress (id, name, status, complete (%)). Prior files are
overwritten.`,
    patterns: ['vm save', 'vm save <vm name> [filename]'],
    suggest,
    call: saveCall(d, (args, name) => {
      const file = underFiles(d, args.filename ?? join('saved', name));
      return { state: `${file}.state`, disk: `${file}.hdd` };
    }),
  });

  d.cli.register({
    helpShort: "**DEPRECATED**: Use 'vm save' - write VM state to disk",
    helpLong: `**DEPRECATED**: Use 'vm save'. Migrate the memory state of a VM to exactly
<filename> (relative names are under the files directory), which can later be
booted with 'vm config migrate <filename>'; the VM is paused. No disk is
copied (use 'vm save' for both). With no arguments, print the progress of
in-flight saves.`,
    patterns: ['vm migrate', 'vm migrate <vm name> <filename>'],
    suggest,
    call: saveCall(d, (args) => ({ state: underFiles(d, args.filename!) })),
  });

  d.cli.register({
    helpShort: "**DEPRECATED**: Use 'vm save' - write VM state and disk to file",
    helpLong: `**DEPRECATED**: Use 'vm save'. Write a VM's memory state to <state filename>
and its snapshot disk to <disk filename> (relative names are under the files
directory; minimega ignored both names), to boot later with 'vm config
migrate ...' and 'vm config disks ...'. With no arguments, print the
progress of in-flight saves.`,
    patterns: ['vm snapshot', 'vm snapshot <vm name> <state filename> <disk filename>'],
    suggest,
    call: saveCall(d, (args) => ({
      state: underFiles(d, args.state!),
      disk: underFiles(d, args.disk!),
    })),
  });
}
