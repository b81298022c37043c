import { describe, expect, test } from 'vitest';
import {
  customFlagWords,
  defaultFlagWords,
  flagValue,
  shellQuote,
} from '../../src/commands/deploy/flags.js';
import type { FlagDef } from '../../src/flags/registry.js';

const defs: FlagDef[] = [
  { name: 'base', type: 'string', default: '/tmp/minimega', usage: '' },
  { name: 'degree', type: 'uint', default: 0, usage: '' },
  { name: 'level', type: 'level', default: 'error', usage: '' },
  { name: 'v', key: 'verbose', type: 'bool', default: true, usage: '' },
  { name: 'force', type: 'bool', default: false, usage: '' },
  { name: 'recover', type: 'bool', default: false, usage: '' },
  { name: 'e', type: 'bool', default: false, usage: '' },
  { name: 'logfile', type: 'string', default: '', usage: '' },
  { name: 'nostdin', type: 'bool', default: false, usage: '' },
  { name: 'meshkey', type: 'string', default: '', usage: '' },
  { name: 'hashfiles', type: 'bool', default: false, usage: '', missing: 'not built' },
  { name: 'headnode', type: 'string', default: '', usage: '', missing: 'not built' },
];

describe('default deploy flags', () => {
  const flags = {
    base: '/b',
    degree: 3,
    level: 'error',
    verbose: false,
    force: true,
    logfile: '/l',
  };

  test('forwards daemon flags by name order with -nostdin=true, never client or one-off flags', () => {
    expect(defaultFlagWords({ hostname: 'h', flags, defs })).toEqual([
      '-base=/b',
      '-degree=3',
      '-level=error',
      '-v=false',
      '-nostdin=true',
    ]);
  });

  test('live values (mesh degree, log level) win over the start-up flags', () => {
    const w = defaultFlagWords({ hostname: 'h', flags, live: { degree: 5, level: 'debug' }, defs });
    expect(w).toContain('-degree=5');
    expect(w).toContain('-level=debug');
  });

  test('a mesh key is forwarded as its remote copy; -headnode once the flag is built', () => {
    const built = defs.map((d) => (d.name === 'headnode' ? { ...d, missing: undefined } : d));
    const w = defaultFlagWords({ hostname: 'head', flags, remoteMeshKey: '/r/k', defs: built });
    expect(w[0]).toBe('-headnode=head');
    expect(w).toContain('-meshkey=/r/k');
    expect(w.some((x) => x.startsWith('-hashfiles'))).toBe(false); // unbuilt: giving it fails start-up
  });
});

describe('custom deploy flags', () => {
  test('-nostdin is always forced to true, whatever was given', () => {
    expect(customFlagWords(['-base=/x', '-nostdin=false', '--nostdin'])).toEqual([
      '-base=/x',
      '-nostdin=true',
    ]);
    // the original's substring test let this one suppress -nostdin
    expect(customFlagWords(['-logfile=/x/nostdin'])).toEqual([
      '-logfile=/x/nostdin',
      '-nostdin=true',
    ]);
  });

  test('flagValue reads -name=v, --name=v and -name v; the last wins', () => {
    expect(flagValue(['-base=/a', '--port=1', '-base', '/c'], 'base')).toBe('/c');
    expect(flagValue(['--port=1'], 'port')).toBe('1');
    expect(flagValue(['-x=1'], 'base')).toBeUndefined();
  });
});

test('shellQuote keeps plain words and quotes the rest for a POSIX shell', () => {
  expect(shellQuote('-base=/tmp/mm')).toBe('-base=/tmp/mm');
  expect(shellQuote('a b')).toBe("'a b'");
  expect(shellQuote("it's;rm -rf /")).toBe(`'it'\\''s;rm -rf /'`);
  expect(shellQuote('')).toBe("''");
});
