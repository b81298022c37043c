// The flag table. Plain data and no imports, so the client path (-e, -attach,
// -version) can parse flags without loading the daemon.
export type FlagType = 'string' | 'bool' | 'int' | 'uint' | 'level' | 'accel';

export interface FlagDef {
  name: string;
  type: FlagType;
  default: string | number | boolean;
  usage: string;
  /** other spellings sharing the value (Go registers `-v` and `-verbose` on one variable) */
  aliases?: string[];
  /** the key in the parsed result when it differs from `name` */
  key?: string;
  /**
   * Set when the part of minimega that uses this flag is not built yet:
   * giving the flag explicitly is then an error carrying this text.
   */
  missing?: string;
  /** who reads the flag ('core' or a module folder), for the docs */
  owner?: string;
}

export const LEVELS = ['debug', 'info', 'warn', 'error', 'fatal'] as const;

/** Flags of daemon.md §1, in the original's names and defaults, plus ours. */
export const coreFlags: FlagDef[] = [
  { name: 'base', type: 'string', default: '/tmp/minimega', usage: 'base path for minimega data' },
  {
    name: 'filepath',
    type: 'string',
    default: '/tmp/minimega/files',
    usage: 'path to files for minimega to serve (becomes <base>/files when only -base is set)',
  },
  { name: 'degree', type: 'uint', default: 0, usage: 'meshage starting degree', owner: 'mesh' },
  { name: 'msa', type: 'uint', default: 10, usage: 'meshage MSA timeout', owner: 'mesh' },
  {
    name: 'broadcast',
    type: 'string',
    default: '255.255.255.255',
    usage: 'meshage broadcast address to use',
    owner: 'mesh',
  },
  { name: 'port', type: 'int', default: 9000, usage: 'meshage port to listen on', owner: 'mesh' },
  {
    name: 'context',
    type: 'string',
    default: 'minimega',
    usage: 'meshage context for discovery',
    owner: 'mesh',
  },
  {
    name: 'vlanrange',
    type: 'string',
    default: '101-4096',
    usage: 'default VLAN range for namespaces',
    owner: 'net',
  },
  {
    name: 'force',
    type: 'bool',
    default: false,
    usage: 'force minimega to run even if it appears to already be running',
  },
  {
    name: 'recover',
    type: 'bool',
    default: false,
    usage:
      'adopt the VMs, VLAN aliases, bridges and taps a crashed minimega left under -base (its VMs keep running)',
  },
  {
    name: 'nuke',
    type: 'bool',
    default: false,
    usage:
      'without a daemon: kill what a crashed minimega started under -base and remove its taps, bridges, mounts, cgroups and instance dirs ("-nuke all": the files dir too), then exit',
  },
  {
    name: 'nostdin',
    type: 'bool',
    default: false,
    usage: 'disable reading from stdin, useful for putting minimega in the background',
  },
  {
    name: 'version',
    type: 'bool',
    default: false,
    usage: 'print the version and copyright notices',
  },
  {
    name: 'cli',
    type: 'bool',
    default: false,
    usage: 'validate and print the minimega cli, in JSON, to stdout and exit',
  },
  {
    name: 'panic',
    type: 'bool',
    default: false,
    usage: 'panic on quit, producing stack traces for debugging',
    missing: 'panic on quit is not implemented (Node prints no goroutine dump)',
  },
  {
    name: 'cgroup',
    type: 'string',
    default: '/sys/fs/cgroup',
    usage: 'path to cgroup mount (containers make their groups under it; nuke looks there)',
  },
  {
    name: 'pipe',
    type: 'string',
    default: '',
    usage: 'read/write to or from a named pipe',
    missing: 'the plumber (named pipes) is not implemented yet',
  },
  {
    name: 'headnode',
    type: 'string',
    default: '',
    usage: 'mesh node to send all logs to and get all files from',
  },
  {
    name: 'hashfiles',
    type: 'bool',
    default: false,
    usage: 'hash files to be served by iomeshage',
  },
  {
    name: 'abssnapshot',
    type: 'bool',
    default: false,
    usage: 'snapshot image with absolute paths',
    missing: 'absolute snapshot paths are not implemented yet',
  },
  { name: 'e', type: 'bool', default: false, usage: 'execute command on running minimega' },
  {
    name: 'attach',
    type: 'bool',
    default: false,
    usage: 'attach the minimega command line to a running instance of minimega',
  },
  {
    name: 'namespace',
    type: 'string',
    default: '',
    usage: 'prepend namespace to all -attach and -e commands',
  },
  {
    name: 'level',
    type: 'level',
    default: 'error',
    usage: 'set log level: [debug, info, warn, error, fatal]',
  },
  {
    name: 'v',
    aliases: ['verbose'],
    key: 'verbose',
    type: 'bool',
    default: true,
    usage: 'log on stderr',
  },
  { name: 'logfile', type: 'string', default: '', usage: 'specify file to log to' },
  // ours
  {
    name: 'accel',
    type: 'accel',
    default: 'auto',
    usage: 'QEMU accelerator for VMs: auto (kvm when usable, else tcg), kvm or tcg',
    owner: 'vm',
  },
  {
    name: 'meshkey',
    type: 'string',
    default: '',
    usage: 'file holding the shared mesh key (authenticates and encrypts the mesh)',
    owner: 'mesh',
  },
  {
    name: 'meshmaxnodes',
    type: 'uint',
    default: 5000,
    usage: 'most nodes the mesh may hold; announcements of more are refused',
    owner: 'mesh',
  },
  // resource limits (daemon/limits.ts; README "Limits")
  {
    name: 'max-output',
    type: 'uint',
    default: 16 << 20,
    usage:
      'bytes of output one command (shell) may produce; past it the command stops with an error',
  },
  {
    name: 'max-client-buffer',
    type: 'uint',
    default: 64 << 20,
    usage:
      'bytes of replies queued for one control-socket client; a client that does not read past it is disconnected',
  },
  {
    name: 'max-send-buffers',
    type: 'uint',
    default: 256 << 20,
    usage:
      'bytes of replies queued for all control-socket clients together; past it the client holding the most is disconnected',
  },
  {
    name: 'max-history',
    type: 'uint',
    default: 4 << 20,
    usage: 'bytes of command history kept (oldest entries dropped first)',
  },
  {
    name: 'max-history-line',
    type: 'uint',
    default: 64 << 10,
    usage: 'longest command line kept in the history, bytes (a longer one is noted, not kept)',
  },
  {
    name: 'max-vms',
    type: 'uint',
    default: 0,
    usage:
      'most VMs this host holds (every namespace); a launch past it is refused before anything starts (0 = no limit)',
    owner: 'vm',
  },
  {
    name: 'max-mem-commit',
    type: 'uint',
    default: 200,
    usage:
      'most memory of live VMs on this host, in percent of its MemTotal; a launch past it is refused before anything starts (0 = no limit)',
    owner: 'vm',
  },
  {
    name: 'shutdown-timeout',
    type: 'uint',
    default: 10,
    usage:
      'seconds quit or SIGTERM wait for an orderly shutdown before killing what the daemon started and exiting',
  },
];
