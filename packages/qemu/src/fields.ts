// The `vm config <field>` table: how each field parses, prints and resets
// (vm-qemu.md §1.1-§1.2). The daemon registers one command per entry; the
// fields whose values need other modules (networks: VLAN aliases) are marked
// `special` and handled by the caller with parseNetspec/printNetspec.
import { checkPath, defaultVmConfig, type VmConfig } from './config.js';
import { type DiskConfig, parseDiskspec, printDiskspec } from './diskspec.js';
import { ConfigValueError } from './errors.js';
import { goList, parseInt64, parseUint } from './gostrconv.js';

export type FieldKind = 'string' | 'path' | 'uint' | 'int' | 'bool' | 'list' | 'special';

export interface FieldContext {
  /** the files directory (`-filepath`) relative paths resolve against */
  filesDir: string;
  /** validates a CPU model for the config's qemu/machine (probe); may be absent */
  validateCpu?: (c: VmConfig, cpu: string) => Promise<void>;
  /** validates a machine type for the config's qemu (probe); may be absent */
  validateMachine?: (c: VmConfig, machine: string) => Promise<void>;
}

export interface ConfigField {
  /** CLI name (`vm config <name>`) */
  name: string;
  /** other accepted names (`migrate` for `state`) */
  aliases: string[];
  kind: FieldKind;
  /** the config key it sets */
  key: keyof VmConfig;
  /** what `vm config <name>` prints ('' prints nothing) */
  print(c: VmConfig): string;
  /** sets it from CLI words (one word for scalars, bool as 'true'/'false') */
  set(c: VmConfig, args: string[], ctx: FieldContext): void | Promise<void>;
  /** resets it to the default */
  clear(c: VmConfig): void;
}

type Keys<T> = { [K in keyof VmConfig]: VmConfig[K] extends T ? K : never }[keyof VmConfig];

function reset<K extends keyof VmConfig>(key: K) {
  return (c: VmConfig) => {
    c[key] = defaultVmConfig()[key];
  };
}

function str(name: string, key: Keys<string>, aliases: string[] = []): ConfigField {
  return {
    name,
    aliases,
    kind: 'string',
    key,
    print: (c) => c[key],
    set: (c, [v = '']) => {
      c[key] = v;
    },
    clear: reset(key),
  };
}

function path(name: string, key: Keys<string>, aliases: string[] = []): ConfigField {
  return {
    ...str(name, key, aliases),
    kind: 'path',
    set: (c, [v = ''], ctx) => {
      c[key] = checkPath(ctx.filesDir, v);
    },
  };
}

function uint(name: string, key: Keys<number>, check?: (v: number) => void): ConfigField {
  return {
    name,
    aliases: [],
    kind: 'uint',
    key,
    print: (c) => String(c[key]),
    set: (c, [v = '']) => {
      const n = parseUint(v);
      check?.(n);
      c[key] = n;
    },
    clear: reset(key),
  };
}

function bool(name: string, key: Keys<boolean>): ConfigField {
  return {
    name,
    aliases: [],
    kind: 'bool',
    key,
    print: (c) => String(c[key]),
    set: (c, [v = '']) => {
      c[key] = v === 'true';
    },
    clear: reset(key),
  };
}

function list(name: string, key: Keys<string[]>): ConfigField {
  return {
    name,
    aliases: [],
    kind: 'list',
    key,
    print: (c) => (c[key].length === 0 ? '' : goList(c[key])),
    set: (c, args) => {
      c[key] = [...args];
    },
    clear: reset(key),
  };
}

/** Sets the disk list from diskspecs; on any error the list is emptied (§3). */
export function setDisks(c: VmConfig, specs: string[], filesDir: string): void {
  const disks: DiskConfig[] = [];
  const seen = new Set<string>();
  try {
    for (const spec of specs) {
      const d = parseDiskspec(spec);
      d.path = checkPath(filesDir, d.path);
      if (seen.has(d.path)) throw new ConfigValueError(`disk conflict: ${d.path}`);
      seen.add(d.path);
      disks.push(d);
    }
  } catch (err) {
    c.disks = [];
    throw err;
  }
  c.disks = disks;
}

export function printDisks(disks: readonly DiskConfig[]): string {
  return goList(disks.map(printDiskspec));
}

/** Every field of `vm config`, in help order. */
export const CONFIG_FIELDS: readonly ConfigField[] = [
  // Base
  str('uuid', 'uuid'),
  uint('vcpus', 'vcpus'),
  uint('memory', 'memory'),
  bool('snapshot', 'snapshot'),
  str('schedule', 'schedule'),
  str('colocate', 'colocate'),
  {
    name: 'coschedule',
    aliases: [],
    kind: 'int',
    key: 'coschedule',
    print: (c) => String(c.coschedule),
    set: (c, [v = '']) => {
      c.coschedule = parseInt64(v);
    },
    clear: reset('coschedule'),
  },
  bool('backchannel', 'backchannel'),
  {
    name: 'networks',
    aliases: ['net'],
    kind: 'special',
    key: 'networks',
    print: (c) => goList(c.networks.map((n) => n.raw)),
    set: () => {
      throw new Error('networks are set by the caller (parseNetspec + VLAN resolution)');
    },
    clear: reset('networks'),
  },
  {
    name: 'bonds',
    aliases: [],
    kind: 'list',
    key: 'bonds',
    print: (c) => goList(c.bonds),
    set: (c, args) => {
      c.bonds = [...args];
    },
    clear: reset('bonds'),
  },
  {
    name: 'tags',
    aliases: [],
    kind: 'special',
    key: 'tags',
    print: (c) =>
      Object.entries(c.tags)
        .map(([k, v]) => `${k} -> ${v}\n`)
        .join(''),
    set: (c, [k = '', v]) => {
      if (v === undefined) return;
      c.tags[k] = v;
    },
    clear: reset('tags'),
  },
  // KVM
  path('qemu', 'qemu'),
  path('kernel', 'kernel'),
  path('initrd', 'initrd'),
  list('append', 'append'),
  path('cdrom', 'cdrom'),
  path('state', 'state', ['migrate']),
  {
    name: 'disks',
    aliases: ['disk'],
    kind: 'special',
    key: 'disks',
    print: (c) => printDisks(c.disks),
    set: async (c, args, ctx) => setDisks(c, args, ctx.filesDir),
    clear: reset('disks'),
  },
  {
    ...str('cpu', 'cpu'),
    set: async (c, [v = ''], ctx) => {
      await ctx.validateCpu?.(c, v);
      c.cpu = v;
    },
  },
  uint('sockets', 'sockets'),
  uint('cores', 'cores'),
  uint('threads', 'threads'),
  {
    ...str('machine', 'machine'),
    set: async (c, [v = ''], ctx) => {
      await ctx.validateMachine?.(c, v);
      c.machine = v;
    },
  },
  uint('serial-ports', 'serialPorts'),
  str('virtio-ports', 'virtioPorts'),
  str('vga', 'vga'),
  bool('usb-use-xhci', 'usbUseXhci'),
  path('tpm-socket', 'tpmSocket'),
  bool('bidirectional-copy-paste', 'bidirectionalCopyPaste'),
  list('qemu-append', 'qemuAppend'),
  {
    name: 'qemu-override',
    aliases: [],
    kind: 'special',
    key: 'qemuOverride',
    print: () => '', // needs the argv: see printOverrides()
    set: (c, [match = '', repl = '']) => {
      c.qemuOverride.push({ match, repl });
    },
    clear: reset('qemuOverride'),
  },
  // Container
  path('filesystem', 'filesystem'),
  str('hostname', 'hostname'),
  list('init', 'init'),
  str('preinit', 'preinit'),
  uint('fifos', 'fifos'),
  {
    name: 'volume',
    aliases: [],
    kind: 'special',
    key: 'volume',
    print: (c) =>
      Object.entries(c.volume)
        .map(([k, v]) => `${k} -> ${v}\n`)
        .join(''),
    set: (c, [k = '', v], ctx) => {
      if (v === undefined) return;
      c.volume[k] = checkPath(ctx.filesDir, v);
    },
    clear: reset('volume'),
  },
  // Android
  str('android-sdk', 'androidSdk'),
  str('android-emulator', 'androidEmulator'),
  str('android-adb', 'androidAdb'),
  str('android-avd', 'androidAvd'),
  str('android-avd-dir', 'androidAvdDir'),
  bool('android-no-window', 'androidNoWindow'),
  uint('android-console-base-port', 'androidConsoleBasePort', (p) => {
    if (p !== 0 && (p < 5554 || p > 5680 || p % 2 !== 0)) {
      throw new ConfigValueError(
        `invalid android console base port ${p}: must be 0 or an even port in 5554-5680`,
      );
    }
  }),
  list('android-extra-args', 'androidExtraArgs'),
  bool('android-writable-system', 'androidWritableSystem'),
];

/** Finds a field by CLI name or alias. */
export function findField(name: string): ConfigField | undefined {
  return CONFIG_FIELDS.find((f) => f.name === name || f.aliases.includes(name));
}
