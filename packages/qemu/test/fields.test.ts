import { describe, expect, test } from 'vitest';
import {
  CONFIG_FIELDS,
  ConfigValueError,
  defaultVmConfig,
  dumpVmConfig,
  type FieldContext,
  findField,
  printNetspec,
} from '../src/index.js';

const ctx: FieldContext = { filesDir: '/tmp/minimega/files' };

async function set(name: string, ...args: string[]) {
  const c = defaultVmConfig();
  await findField(name)!.set(c, args, ctx);
  return c;
}

describe('vm config fields', () => {
  test('every field prints its default and clears back to it', async () => {
    for (const f of CONFIG_FIELDS) {
      if (f.kind === 'special' && f.name === 'networks') continue;
      const c = defaultVmConfig();
      const before = f.print(c);
      const arg =
        f.kind === 'uint' || f.kind === 'int'
          ? f.name === 'android-console-base-port'
            ? '5556'
            : '7'
          : f.kind === 'bool'
            ? String(!c[f.key])
            : 'x';
      const args =
        f.name === 'tags' || f.name === 'volume' || f.name === 'qemu-override' ? ['k', 'v'] : [arg];
      await f.set(c, args, ctx);
      expect(c[f.key], f.name).not.toEqual(defaultVmConfig()[f.key]);
      f.clear(c);
      expect(c[f.key], f.name).toEqual(defaultVmConfig()[f.key]);
      expect(f.print(c), f.name).toBe(before);
    }
  });

  test('defaults print as minimega', () => {
    const c = defaultVmConfig();
    const p = (n: string) => findField(n)!.print(c);
    expect(p('memory')).toBe('2048');
    expect(p('vcpus')).toBe('1');
    expect(p('snapshot')).toBe('true');
    expect(p('disk')).toBe('[]');
    expect(p('net')).toBe('[]');
    expect(p('append')).toBe('');
    expect(p('qemu-append')).toBe('');
    expect(p('cpu')).toBe('host');
    expect(p('qemu')).toBe('kvm');
    expect(p('coschedule')).toBe('-1');
    expect(p('init')).toBe('[/init]');
    expect(p('vga')).toBe('std');
    expect(p('usb-use-xhci')).toBe('true');
    expect(p('cdrom')).toBe('');
  });

  test.each(['memory', 'vcpus', 'sockets', 'cores', 'threads', 'serial-ports', 'fifos'])(
    'uint field %s rejects non-numbers with Go text',
    async (name) => {
      const err = await set(name, 'foo').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConfigValueError);
      expect((err as Error).message).toBe('strconv.ParseUint: parsing "foo": invalid syntax');
      await expect(set(name, '-1')).rejects.toThrow(
        'strconv.ParseUint: parsing "-1": invalid syntax',
      );
      await expect(set(name, '99999999999999999999')).rejects.toThrow('value out of range');
    },
  );

  test('coschedule is a signed int', async () => {
    expect((await set('coschedule', '-5')).coschedule).toBe(-5);
    await expect(set('coschedule', 'x')).rejects.toThrow(
      'strconv.ParseInt: parsing "x": invalid syntax',
    );
  });

  test('android console base port must be even in 5554-5680', async () => {
    await expect(set('android-console-base-port', '5555')).rejects.toBeInstanceOf(ConfigValueError);
    expect((await set('android-console-base-port', '5554')).androidConsoleBasePort).toBe(5554);
  });

  test('path fields resolve against the files dir; absolute paths stay', async () => {
    for (const f of [
      'cdrom',
      'kernel',
      'initrd',
      'state',
      'migrate',
      'qemu',
      'tpm-socket',
      'filesystem',
    ]) {
      const c = await set(f, 'foo');
      expect(findField(f)!.print(c), f).toBe('/tmp/minimega/files/foo');
    }
    expect(findField('kernel')!.print(await set('kernel', '/boot/k'))).toBe('/boot/k');
  });

  test('lists print in Go format', async () => {
    expect(findField('append')!.print(await set('append', 'a', 'b', 'c'))).toBe('[a b c]');
    expect(findField('qemu-append')!.print(await set('qemu-append', 'a', 'b'))).toBe('[a b]');
  });

  test('disks: replace the list, resolve paths, conflicts empty it', async () => {
    const c = await set('disk', 'b', 'c,virtio', 'd,ide,none');
    expect(findField('disk')!.print(c)).toBe(
      '[/tmp/minimega/files/b /tmp/minimega/files/c,virtio /tmp/minimega/files/d,ide,none]',
    );
    await expect(findField('disk')!.set(c, ['a', 'a'], ctx)).rejects.toThrow(
      'disk conflict: /tmp/minimega/files/a',
    );
    expect(c.disks).toEqual([]);
    await expect(findField('disk')!.set(c, ['a,bogus'], ctx)).rejects.toThrow('malformed diskspec');
  });

  test('tags: set, list, lookup of a key only prints nothing', async () => {
    const c = await set('tags', 'color', 'red');
    await findField('tag')?.set(c, ['shape', 'square'], ctx);
    expect(findField('tags')!.print(c)).toBe('color -> red\n');
    await findField('tags')!.set(c, ['k'], ctx);
    expect(c.tags).toEqual({ color: 'red' });
  });

  test('qemu-override appends rules', async () => {
    const c = await set('qemu-override', 'a', 'b');
    await findField('qemu-override')!.set(c, ['c', 'd'], ctx);
    expect(c.qemuOverride).toEqual([
      { match: 'a', repl: 'b' },
      { match: 'c', repl: 'd' },
    ]);
  });

  test('cpu and machine go through the validators', async () => {
    const c = defaultVmConfig();
    const strict: FieldContext = {
      ...ctx,
      validateCpu: async (_c, cpu) => {
        if (cpu !== 'qemu64') throw new ConfigValueError(`invalid QEMU CPU: \`${cpu}\`, see help`);
      },
    };
    await expect(findField('cpu')!.set(c, ['nope'], strict)).rejects.toThrow(
      'invalid QEMU CPU: `nope`, see help',
    );
    await findField('cpu')!.set(c, ['qemu64'], strict);
    expect(c.cpu).toBe('qemu64');
  });
});

describe('vm config dump', () => {
  test('four aligned blocks with HEAD labels', () => {
    const c = defaultVmConfig();
    c.tags = { b: '2', a: '1' };
    const out = dumpVmConfig(c, (n) => printNetspec(n));
    const lines = out.split('\n');
    expect(lines[0]).toBe('VM configuration:');
    expect(lines[1]).toBe('Memory:           2048');
    expect(out).toContain('Coschedule limit: -1\n');
    expect(out).toContain('Tags:             {"a":"1","b":"2"}\n\nKVM configuration:\n');
    expect(out).toContain(`${'TPM Socket: '.padEnd(26)}\n`);
    expect(out).toContain('Bidirectional Copy Paste: false\n');
    expect(out).toContain('Init:            [/init]\n');
    expect(out).toContain('Writable System:   false\n\n');
    expect(out.endsWith('\n\n')).toBe(true);
  });
});
