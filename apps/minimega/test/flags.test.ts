import { describe, expect, it } from 'vitest';
import { parseVlanRange, toDaemonFlags } from '../src/daemon/flags.js';
import { cgroupFlagProblem, cgroupRootOf } from '../src/flags/cgroup-root.js';
import {
  FlagError,
  FlagHelpRequested,
  missingFeatureErrors,
  parseFlags,
  usageText,
} from '../src/flags/parse.js';

describe('Go-style flag parsing', () => {
  it('fills every daemon.md §1 default', () => {
    const p = parseFlags([]);
    expect(p.values).toMatchObject({
      base: '/tmp/minimega',
      filepath: '/tmp/minimega/files',
      degree: 0,
      msa: 10,
      broadcast: '255.255.255.255',
      port: 9000,
      context: 'minimega',
      vlanrange: '101-4096',
      force: false,
      recover: false,
      nostdin: false,
      version: false,
      cli: false,
      e: false,
      attach: false,
      namespace: '',
      level: 'error',
      verbose: true,
      logfile: '',
      accel: 'auto',
      meshkey: '',
      meshmaxnodes: 5000,
      'ovs-embedded': true,
      'ovs-datapath': 'auto',
    });
    expect(p.positional).toEqual([]);
  });

  it('accepts -flag value, -flag=value, --flag and booleans', () => {
    const p = parseFlags([
      '-base',
      '/x',
      '--port=9001',
      '-nostdin',
      '--force',
      '-v=false',
      '-level',
      'debug',
    ]);
    expect(p.values.base).toBe('/x');
    expect(p.values.port).toBe(9001);
    expect(p.values.nostdin).toBe(true);
    expect(p.values.force).toBe(true);
    expect(p.values.verbose).toBe(false);
    expect(p.values.level).toBe('debug');
    expect([...p.set].sort()).toEqual(['base', 'force', 'level', 'nostdin', 'port', 'verbose']);
  });

  it('-v and -verbose share one value', () => {
    expect(parseFlags(['-verbose=false']).values.verbose).toBe(false);
    expect(parseFlags(['-v=0']).values.verbose).toBe(false);
    expect(parseFlags(['-v=0', '-verbose']).values.verbose).toBe(true);
  });

  it('stops at the first positional and after --', () => {
    const p = parseFlags(['-e', 'echo', '-x', 'hi']);
    expect(p.values.e).toBe(true);
    expect(p.positional).toEqual(['echo', '-x', 'hi']);
    expect(parseFlags(['-e', '--', '-version']).positional).toEqual(['-version']);
    expect(parseFlags(['-', 'a']).positional).toEqual(['-', 'a']);
  });

  it('a boolean does not take the next argument', () => {
    const p = parseFlags(['-e', 'true']);
    expect(p.values.e).toBe(true);
    expect(p.positional).toEqual(['true']);
  });

  it('integers in Go syntax', () => {
    expect(parseFlags(['-port', '0x10']).values.port).toBe(16);
    expect(parseFlags(['-port=-1']).values.port).toBe(-1);
    expect(parseFlags(['-degree', '1_000']).values.degree).toBe(1000);
  });

  it.each([
    [['-port', 'abc'], 'invalid value "abc" for flag -port'],
    [['-degree', '-1'], 'invalid value "-1" for flag -degree'],
    [['-level', 'loud'], 'invalid value "loud" for flag -level'],
    [['-force=maybe'], 'invalid value "maybe" for flag -force'],
    [['-accel', 'xen'], 'invalid value "xen" for flag -accel'],
    [['-nosuchflag'], 'flag provided but not defined: -nosuchflag'],
    [['-base'], 'flag needs an argument: -base'],
    [['---base'], 'bad flag syntax: ---base'],
    [['-=x'], 'bad flag syntax: -=x'],
  ])('rejects %j clearly', (argv, msg) => {
    expect(() => parseFlags(argv)).toThrow(FlagError);
    expect(() => parseFlags(argv)).toThrow(msg);
  });

  it('-h asks for help', () => {
    expect(() => parseFlags(['-h'])).toThrow(FlagHelpRequested);
    expect(() => parseFlags(['--help'])).toThrow(FlagHelpRequested);
  });

  it('flags for parts not built yet are accepted but reported when used', () => {
    // -recover is built now: accepted without a report
    const p = parseFlags(['-recover', '-pipe', 'foo', '-panic=false']);
    const errs = missingFeatureErrors(p);
    expect(errs).toHaveLength(2);
    expect(errs[0]).toMatch(/^-panic: /);
    expect(errs[1]).toMatch(/^-pipe: .*plumber/);
    expect(missingFeatureErrors(parseFlags(['-base', '/x']))).toEqual([]);
  });

  it('-cgroup names the cgroup mount that containers and nuke use', () => {
    expect(missingFeatureErrors(parseFlags(['-cgroup', '/mnt/cg']))).toEqual([]);
    expect(cgroupRootOf(parseFlags(['-cgroup', '/mnt/cg/']).values)).toBe('/mnt/cg');
    expect(cgroupRootOf(parseFlags([]).values)).toBe('/sys/fs/cgroup');
    expect(cgroupFlagProblem(parseFlags(['-cgroup', '/mnt/cg']).values)).toBeUndefined();
    expect(cgroupFlagProblem(parseFlags(['-cgroup', 'cg']).values)).toMatch(/^-cgroup: .*"cg"/);
  });

  it('usage lists every flag with its default', () => {
    const u = usageText();
    for (const name of [
      'base',
      'filepath',
      'degree',
      'msa',
      'broadcast',
      'port',
      'context',
      'vlanrange',
      'force',
      'recover',
      'nostdin',
      'version',
      'cli',
      'e',
      'attach',
      'namespace',
      'level',
      'v',
      'verbose',
      'logfile',
      'accel',
      'meshkey',
      'meshmaxnodes',
      'ovs-embedded',
    ]) {
      expect(u).toContain(`  -${name}`);
    }
    expect(u).toContain('(default "/tmp/minimega")');
    expect(u).toContain('(default 9000)');
  });
});

describe('daemon flags', () => {
  it('-filepath follows -base unless given', () => {
    expect(toDaemonFlags(parseFlags(['-base', '/b/'])).filepath).toBe('/b/files');
    expect(toDaemonFlags(parseFlags(['-base', '/b', '-filepath', '/f'])).filepath).toBe('/f');
  });

  it('validates the VLAN range with the original messages', () => {
    expect(parseVlanRange('10-20')).toEqual({ min: 10, max: 20 });
    expect(() => parseVlanRange('10')).toThrow('invalid VLAN range provided');
    expect(() => parseVlanRange('a-b')).toThrow('expected integer values for VLAN range');
    expect(() => parseVlanRange('20-10')).toThrow('expected min < max for VLAN range');
    expect(() => toDaemonFlags(parseFlags(['-vlanrange', '1-2-3']))).toThrow('invalid VLAN range');
  });
});
