// `<base>/<id>/config`: the fields that differ from the defaults, one
// `vm config` line each, in minimega's order (vm-qemu.md §1.4).
import { defaultVmConfig, type VmConfig } from './config.js';
import { printDiskspec } from './diskspec.js';
import { goQuote } from './gostrconv.js';
import { printNetspec } from './netspec.js';

const quoteWord = (w: string) => (/\s/.test(w) ? goQuote(w) : w);

export function configFile(c: VmConfig): string {
  const def = defaultVmConfig();
  const lines: string[] = [];
  const scalar = (name: string, v: unknown, dv: unknown) => {
    if (v !== dv) lines.push(`vm config ${name} ${String(v)}`);
  };
  scalar('uuid', c.uuid, def.uuid);
  scalar('vcpus', c.vcpus, def.vcpus);
  scalar('memory', c.memory, def.memory);
  scalar('snapshot', c.snapshot, def.snapshot);
  scalar('schedule', c.schedule, def.schedule);
  scalar('colocate', c.colocate, def.colocate);
  scalar('coschedule', c.coschedule, def.coschedule);
  scalar('backchannel', c.backchannel, def.backchannel);
  if (c.networks.length)
    lines.push(`vm config networks ${c.networks.map((n) => printNetspec(n)).join(' ')}`);
  if (c.bonds.length) lines.push(`vm config bonds ${c.bonds.join(' ')}`);
  for (const [k, v] of Object.entries(c.tags))
    lines.push(`vm config tags ${quoteWord(k)} ${quoteWord(v)}`);
  scalar('qemu', c.qemu, def.qemu);
  scalar('kernel', c.kernel, def.kernel);
  scalar('initrd', c.initrd, def.initrd);
  scalar('cdrom', c.cdrom, def.cdrom);
  scalar('state', c.state, def.state);
  scalar('cpu', c.cpu, def.cpu);
  scalar('sockets', c.sockets, def.sockets);
  scalar('cores', c.cores, def.cores);
  scalar('threads', c.threads, def.threads);
  scalar('machine', c.machine, def.machine);
  scalar('serial-ports', c.serialPorts, def.serialPorts);
  scalar('virtio-ports', c.virtioPorts, def.virtioPorts);
  scalar('vga', c.vga, def.vga);
  if (c.append.length) lines.push(`vm config append ${c.append.map(quoteWord).join(' ')}`);
  if (c.disks.length) lines.push(`vm config disks ${c.disks.map(printDiskspec).join(' ')}`);
  scalar('usb-use-xhci', c.usbUseXhci, def.usbUseXhci);
  scalar('tpm-socket', c.tpmSocket, def.tpmSocket);
  scalar('bidirectional-copy-paste', c.bidirectionalCopyPaste, def.bidirectionalCopyPaste);
  if (c.qemuAppend.length)
    lines.push(`vm config qemu-append ${c.qemuAppend.map(quoteWord).join(' ')}`);
  for (const o of c.qemuOverride)
    lines.push(`vm config qemu-override ${quoteWord(o.match)} ${quoteWord(o.repl)}`);
  return lines.map((l) => `${l}\n`).join('');
}
