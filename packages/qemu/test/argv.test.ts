import { describe, expect, test } from 'vitest';
import {
  applyOverrides,
  buildArgs,
  defaultVmConfig,
  flattenArgs,
  parseNetspec,
  printOverrides,
  splitArgs,
} from '../src/index.js';

describe('QEMU argv', () => {
  test('defaults match minimega HEAD (vm-qemu.md §4.2)', () => {
    const args = applyOverrides(buildArgs(defaultVmConfig(), { id: 0, instanceDir: '' }), []);
    expect(flattenArgs(args)).toBe(
      '-name 0 -m 2048 -nographic -vnc unix:vnc -smp 1 -qmp unix:qmp,server=on -vga std -rtc clock=vm,base=utc -usb -device qemu-xhci,id=xhci -device usb-tablet,bus=usb-bus.0 -pidfile qemu.pid -k en-us -cpu host -net none -S -drive media=cdrom -device pci-bridge,id=pci.1,chassis_nr=1 -device virtio-serial-pci,id=virtio-serial0,bus=pci.1,addr=0x1 -chardev socket,id=charvserialCC,path=cc,server=on,wait=off -device virtserialport,bus=virtio-serial0.0,chardev=charvserialCC,id=charvserialCC,name=cc -uuid',
    );
  });

  test('a full config, in order', () => {
    const c = defaultVmConfig();
    Object.assign(c, {
      machine: 'pc',
      memory: 128,
      vcpus: 4,
      cores: 2,
      threads: 1,
      sockets: 2,
      vga: 'cirrus',
      usbUseXhci: false,
      tpmSocket: '/t/sock',
      serialPorts: 2,
      cpu: 'host',
      state: '/f/state',
      cdrom: '/f/cd.iso',
      kernel: '/f/k',
      initrd: '/f/i',
      append: ['console=ttyS0', 'a b'],
      snapshot: true,
      backchannel: true,
      bidirectionalCopyPaste: true,
      virtioPorts: 'p1,p2',
      qemuAppend: ['-x', 'y'],
      uuid: 'u-1',
    });
    c.disks = [
      { path: '/f/a.qcow2', iface: '', cache: '', snapshotPath: '/b/7/disk-0.qcow2' },
      { path: '/f/b.img', iface: 'ahci', cache: '', snapshotPath: '' },
      { path: '/f/c.img', iface: 'virtio', cache: 'none', snapshotPath: '' },
    ];
    const nic = parseNetspec('100,aa:bb:cc:dd:ee:ff,virtio-net-pci', {
      drivers: ['virtio-net-pci'],
    });
    c.networks = [{ ...nic, tap: 'mega_tap0' }];
    const I = '/b/7';
    expect(buildArgs(c, { id: 7, instanceDir: I, accel: 'tcg' })).toEqual([
      '-name',
      '7',
      '-accel',
      'tcg',
      '-M',
      'pc',
      '-m',
      '128',
      '-nographic',
      '-vnc',
      'unix:/b/7/vnc',
      '-smp',
      '4,cores=2,threads=1,sockets=2',
      '-qmp',
      'unix:/b/7/qmp,server=on',
      '-vga',
      'cirrus',
      '-rtc',
      'clock=vm,base=utc',
      '-usb',
      '-device',
      'usb-ehci,id=ehci',
      '-device',
      'usb-tablet,bus=usb-bus.0',
      '-chardev',
      'socket,id=chrtpm,path=/t/sock',
      '-tpmdev',
      'emulator,id=tpm0,chardev=chrtpm',
      '-device',
      'tpm-tis,tpmdev=tpm0',
      '-chardev',
      'socket,id=charserial0,path=/b/7/serial0,server=on,wait=off',
      '-device',
      'isa-serial,chardev=charserial0,id=serial0',
      '-chardev',
      'socket,id=charserial1,path=/b/7/serial1,server=on,wait=off',
      '-device',
      'isa-serial,chardev=charserial1,id=serial1',
      '-pidfile',
      '/b/7/qemu.pid',
      '-k',
      'en-us',
      '-cpu',
      'qemu64',
      '-net',
      'none',
      '-S',
      '-incoming',
      'exec:cat /f/state',
      '-drive',
      'file=/f/cd.iso,media=cdrom',
      '-boot',
      'once=d',
      '-drive',
      'file=/b/7/disk-0.qcow2,media=disk,if=ide,cache=unsafe',
      '-device',
      'ahci,id=ahci',
      '-device',
      'ide-hd,drive=ahci-drive-0,bus=ahci.0',
      '-drive',
      'id=ahci-drive-0,file=/f/b.img,media=disk,if=none,cache=unsafe',
      '-drive',
      'file=/f/c.img,media=disk,if=virtio,cache=none',
      '-kernel',
      '/f/k',
      '-initrd',
      '/f/i',
      '-append',
      'console=ttyS0 "a b"',
      '-device',
      'pci-bridge,id=pci.1,chassis_nr=1',
      '-netdev',
      'tap,id=mega_tap0,script=no,ifname=mega_tap0',
      '-device',
      'driver=virtio-net-pci,netdev=mega_tap0,mac=aa:bb:cc:dd:ee:ff,bus=pci.1,addr=0x1',
      '-device',
      'virtio-serial-pci,id=virtio-serial0,bus=pci.1,addr=0x2',
      '-chardev',
      'socket,id=charvserialCC,path=/b/7/cc,server=on,wait=off',
      '-device',
      'virtserialport,bus=virtio-serial0.0,chardev=charvserialCC,id=charvserialCC,name=cc',
      '-device',
      'virtio-serial-pci,id=virtio-serial1,bus=pci.1,addr=0x3',
      '-chardev',
      'qemu-vdagent,id=vdagent,clipboard=on',
      '-device',
      'virtserialport,bus=virtio-serial1.0,chardev=vdagent,name=com.redhat.spice.0',
      '-device',
      'virtio-serial-pci,id=virtio-serial2,bus=pci.1,addr=0x4',
      '-chardev',
      'socket,id=charvserial0,path=/b/7/virtio-serial0,server=on,wait=off',
      '-device',
      'virtserialport,bus=virtio-serial2.0,chardev=charvserial0,id=charvserial0,name=p1',
      '-chardev',
      'socket,id=charvserial1,path=/b/7/virtio-serial1,server=on,wait=off',
      '-device',
      'virtserialport,bus=virtio-serial2.0,chardev=charvserial1,id=charvserial1,name=p2',
      '-x',
      'y',
      '-uuid',
      'u-1',
    ]);
  });

  test('40 virtio ports use a new controller every 30; 31+ NICs add a pci bridge', () => {
    const c = defaultVmConfig();
    c.backchannel = false;
    c.virtioPorts = '40';
    const a = buildArgs(c, { id: 1, instanceDir: '' }).filter((x) =>
      x.startsWith('virtio-serial-pci'),
    );
    expect(a).toEqual([
      'virtio-serial-pci,id=virtio-serial0,bus=pci.1,addr=0x1',
      'virtio-serial-pci,id=virtio-serial1,bus=pci.1,addr=0x2',
    ]);
    const n = parseNetspec('1', { drivers: [] });
    c.virtioPorts = '';
    c.networks = Array.from({ length: 32 }, (_, i) => ({ ...n, tap: `t${i}`, mac: 'm' }));
    const args = buildArgs(c, { id: 1, instanceDir: '' });
    expect(args).toContain('pci-bridge,id=pci.2,chassis_nr=2');
    expect(args).toContain('driver=e1000,netdev=t31,mac=m,bus=pci.2,addr=0x1');
  });

  test('overrides rewrite the flattened line in order', () => {
    const args = ['-m', '2048', '-append', 'a b'];
    expect(
      applyOverrides(args, [
        { match: '2048', repl: '512' },
        { match: '512', repl: '64' },
      ]),
    ).toEqual(['-m', '64', '-append', 'a b']);
    expect(splitArgs('a "b c"  d')).toEqual(['a', 'b c', 'd']);
    const c = defaultVmConfig();
    c.qemuOverride = [{ match: '-m 2048', repl: '-m 1' }];
    const out = printOverrides(c);
    expect(
      out.startsWith(
        'id\tmatch\treplacement\n0\t"-m 2048"\t"-m 1"\n\nBefore overrides:\n-name 0 -m 2048',
      ),
    ).toBe(true);
    expect(out).toContain('\nAfter overrides:\n-name 0 -m 1 -nographic');
  });

  test('the printed line has no trailing space for the empty uuid, as Go trims it', () => {
    const out = printOverrides(defaultVmConfig());
    expect(out).toContain(',name=cc -uuid\n\nAfter overrides:\n');
    expect(out.endsWith(',name=cc -uuid\n')).toBe(true);
    // words are still joined as given: an empty one inside keeps its place
    expect(flattenArgs(['a', '', 'b c', ''])).toBe('a  "b c"');
  });
});
