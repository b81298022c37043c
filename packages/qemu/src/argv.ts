// The QEMU command line (vm-qemu.md §4), in minimega's exact order, plus the
// override round trip (§4.3).
import { join } from 'node:path';
import type { VmConfig } from './config.js';

export type Accel = 'kvm' | 'tcg';

export interface ArgvOptions {
  /** VM id (`-name`) */
  id: number;
  /** the instance dir `<base>/<id>`; '' gives the bare names `vnc`, `qmp`... */
  instanceDir: string;
  /** accelerator; omitted means "as the binary defaults" (minimega's `kvm`) */
  accel?: Accel;
}

const inst = (dir: string, name: string) => (dir === '' ? name : join(dir, name));

/** Builds the argument list (without the binary) in minimega's order. */
export function buildArgs(c: VmConfig, opts: ArgvOptions): string[] {
  const I = opts.instanceDir;
  const a: string[] = [];
  a.push('-name', String(opts.id));
  if (opts.accel) a.push('-accel', opts.accel);
  if (c.machine) a.push('-M', c.machine);
  a.push('-m', String(c.memory));
  a.push('-nographic');
  a.push('-vnc', `unix:${inst(I, 'vnc')}`);
  let smp = String(c.vcpus);
  if (c.cores) smp += `,cores=${c.cores}`;
  if (c.threads) smp += `,threads=${c.threads}`;
  if (c.sockets) smp += `,sockets=${c.sockets}`;
  a.push('-smp', smp);
  a.push('-qmp', `unix:${inst(I, 'qmp')},server=on`);
  a.push('-vga', c.vga || 'std');
  a.push('-rtc', 'clock=vm,base=utc');
  a.push('-usb');
  a.push('-device', c.usbUseXhci ? 'qemu-xhci,id=xhci' : 'usb-ehci,id=ehci');
  a.push('-device', 'usb-tablet,bus=usb-bus.0');
  if (c.tpmSocket) {
    a.push('-chardev', `socket,id=chrtpm,path=${c.tpmSocket}`);
    a.push('-tpmdev', 'emulator,id=tpm0,chardev=chrtpm');
    a.push('-device', 'tpm-tis,tpmdev=tpm0');
  }
  for (let i = 0; i < c.serialPorts; i++) {
    a.push('-chardev', `socket,id=charserial${i},path=${inst(I, `serial${i}`)},server=on,wait=off`);
    a.push('-device', `isa-serial,chardev=charserial${i},id=serial${i}`);
  }
  a.push('-pidfile', inst(I, 'qemu.pid'));
  a.push('-k', 'en-us');
  // `host` needs KVM; under TCG use QEMU's default model (`max` emulates costly extensions and boots ~20% slower)
  const cpu = opts.accel === 'tcg' && c.cpu === 'host' ? 'qemu64' : c.cpu;
  if (cpu) a.push('-cpu', cpu);
  a.push('-net', 'none');
  a.push('-S');
  if (c.state) a.push('-incoming', `exec:cat ${c.state}`);
  if (c.cdrom) a.push('-drive', `file=${c.cdrom},media=cdrom`, '-boot', 'once=d');
  else a.push('-drive', 'media=cdrom');
  let ahci = 0;
  for (const d of c.disks) {
    const p = c.snapshot && d.snapshotPath ? d.snapshotPath : d.path;
    let params: string;
    if (d.iface === 'ahci') {
      if (ahci === 0) a.push('-device', 'ahci,id=ahci');
      a.push('-device', `ide-hd,drive=ahci-drive-${ahci},bus=ahci.${ahci}`);
      params = `id=ahci-drive-${ahci},file=${p},media=disk,if=none`;
      ahci++;
    } else {
      params = `file=${p},media=disk,if=${d.iface || 'ide'}`;
    }
    params += `,cache=${d.cache || (c.snapshot ? 'unsafe' : 'writeback')}`;
    a.push('-drive', params);
  }
  if (c.kernel) a.push('-kernel', c.kernel);
  if (c.initrd) a.push('-initrd', c.initrd);
  if (c.append.length > 0)
    a.push('-append', c.append.map((w) => (/\s/.test(w) ? `"${w}"` : w)).join(' '));

  let bus = 1;
  let addr = 1;
  a.push('-device', `pci-bridge,id=pci.${bus},chassis_nr=${bus}`);
  const nextSlot = () => {
    const slot = { bus, addr };
    addr++;
    if (addr === 32) {
      bus++;
      addr = 1;
      a.push('-device', `pci-bridge,id=pci.${bus},chassis_nr=${bus}`);
    }
    return slot;
  };
  for (const n of c.networks) {
    const s = nextSlot();
    a.push('-netdev', `tap,id=${n.tap},script=no,ifname=${n.tap}`);
    a.push(
      '-device',
      `driver=${n.driver},netdev=${n.tap},mac=${n.mac},bus=pci.${s.bus},addr=0x${s.addr.toString(16)}`,
    );
  }
  let controllers = 0;
  const newController = () => {
    const s = nextSlot();
    const k = controllers++;
    a.push(
      '-device',
      `virtio-serial-pci,id=virtio-serial${k},bus=pci.${s.bus},addr=0x${s.addr.toString(16)}`,
    );
    return k;
  };
  if (c.backchannel) {
    const k = newController();
    a.push('-chardev', `socket,id=charvserialCC,path=${inst(I, 'cc')},server=on,wait=off`);
    a.push(
      '-device',
      `virtserialport,bus=virtio-serial${k}.0,chardev=charvserialCC,id=charvserialCC,name=cc`,
    );
  }
  if (c.bidirectionalCopyPaste) {
    const k = newController();
    a.push('-chardev', 'qemu-vdagent,id=vdagent,clipboard=on');
    a.push(
      '-device',
      `virtserialport,bus=virtio-serial${k}.0,chardev=vdagent,name=com.redhat.spice.0`,
    );
  }
  const ports = virtioPortNames(c.virtioPorts);
  let k = -1;
  ports.forEach((name, i) => {
    if (i % 30 === 0) k = newController();
    a.push(
      '-chardev',
      `socket,id=charvserial${i},path=${inst(I, `virtio-serial${i}`)},server=on,wait=off`,
    );
    a.push(
      '-device',
      `virtserialport,bus=virtio-serial${k}.0,chardev=charvserial${i},id=charvserial${i},name=${name}`,
    );
  });
  a.push(...c.qemuAppend);
  a.push('-uuid', c.uuid);
  return a;
}

/** `vm config virtio-ports`: a count N gives virtio-serial0..N-1, else a comma list of names. */
export function virtioPortNames(v: string): string[] {
  if (v === '') return [];
  if (/^[0-9]+$/.test(v)) return Array.from({ length: Number(v) }, (_, i) => `virtio-serial${i}`);
  return v.split(',');
}

/** Flattens args into one string: elements joined by spaces, ones with whitespace in quotes. */
export function flattenArgs(args: readonly string[]): string {
  // trimmed as minimega's unescapeString: an empty last word (the uuid before
  // launch) leaves no trailing space
  return args
    .map((s) => (/\s/.test(s) ? `"${s}"` : s))
    .join(' ')
    .trim();
}

/** Splits on whitespace; `"..."` groups (quotes removed). Empty args vanish. */
export function splitArgs(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inQuote = false;
  let has = false;
  for (const ch of s) {
    if (ch === '"') {
      inQuote = !inQuote;
      continue;
    }
    if (!inQuote && /\s/.test(ch)) {
      if (has || cur !== '') out.push(cur);
      cur = '';
      has = false;
      continue;
    }
    cur += ch;
    has = true;
  }
  if (cur !== '') out.push(cur);
  return out.filter((x) => x !== '');
}

/** Applies `vm config qemu-override` rules in order to the flattened argv (§4.3). */
export function applyOverrides(
  args: readonly string[],
  overrides: VmConfig['qemuOverride'],
): string[] {
  let s = flattenArgs(args);
  for (const o of overrides) s = s.split(o.match).join(o.repl);
  return splitArgs(s);
}

/** What `vm config qemu-override` prints (args built with id 0 and no instance dir). */
export function printOverrides(c: VmConfig): string {
  let out = 'id\tmatch\treplacement\n';
  c.qemuOverride.forEach((o, i) => {
    out += `${i}\t"${o.match}"\t"${o.repl}"\n`;
  });
  const args = buildArgs(c, { id: 0, instanceDir: '' });
  out += `\nBefore overrides:\n${flattenArgs(args)}\n`;
  out += `\nAfter overrides:\n${flattenArgs(applyOverrides(args, c.qemuOverride))}\n`;
  return out;
}
