// The `minimega` command as a real process: flags, -e, a daemon and signals.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MinimegaClient } from '../src/client/connection.js';
import { appDir, daemonProcess, minimega, tempBase } from './helpers.js';

describe('minimega command line', () => {
  it('-version prints the version and exits 0', async () => {
    const r = await minimega(['-version']);
    expect(r.exitCode).toBe(0);
    // names this project and credits minimega, instead of copying Sandia's notice
    expect(r.stdout).toMatch(/^minimega \S+ \S+ \S+\nminimega-ts: a TypeScript implementation/);
    expect(r.stdout).toContain('https://github.com/sandia-minimega/minimega');
    expect(r.stdout).not.toMatch(/Copyright|Contract DE-AC04/);
  });

  it("the root package.json's start and test run the README's two commands", async () => {
    const root = join(appDir, '../..');
    const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    const readme = await readFile(join(root, 'README.md'), 'utf8');
    for (const name of ['start', 'test']) {
      const script = pkg.scripts[name]!;
      expect(readme).toContain(script); // e.g. `bash scripts/test.sh`
      expect(existsSync(join(root, script.replace(/^bash /, '')))).toBe(true);
    }
  });

  it('-cli validates the grammar and prints every handler as JSON', async () => {
    const r = await minimega(['-cli']);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    const doc = JSON.parse(String(r.stdout)) as { patterns: string[] }[];
    const patterns = doc.flatMap((h) => h.patterns);
    for (const p of [
      'echo [args]...',
      'read <file> [check,]',
      'shell <command>...',
      'quit [delay]',
      '.csv [true,false]',
    ]) {
      expect(patterns).toContain(p);
    }
  });

  it('bad flags exit 2 with a clear error', async () => {
    const r = await minimega(['-port', 'eighty']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/^invalid value "eighty" for flag -port/);
    const u = await minimega(['-nosuch']);
    expect(u.exitCode).toBe(2);
    expect(u.stderr).toMatch(/flag provided but not defined: -nosuch/);
  });

  it('flags for missing parts exit 2 saying what is missing', async () => {
    const r = await minimega(['-pipe', 'x']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/-pipe: .*not implemented/);
  });

  it('positional arguments without -e are refused', async () => {
    const r = await minimega(['-nostdin', 'script.mm']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/unexpected arguments \["script.mm"\]: only -e takes arguments/);
  });

  it('a bad -vlanrange is fatal in daemon mode', async () => {
    await using base = await tempBase();
    const r = await minimega(['-base', base.path, '-nostdin', '-vlanrange', '5-1']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/expected min < max for VLAN range/);
  });

  it('-e without a daemon fails with the dial error', async () => {
    await using base = await tempBase();
    const r = await minimega(['-base', base.path, '-e', 'echo', 'hi']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/dial unix .*minimega/);
  });
});

describe('a daemon process', () => {
  it('serves -e clients: output, errors, exit codes, quoting, namespaces', async () => {
    await using d = await daemonProcess();
    const e = (...args: string[]) => minimega(['-base', d.base, ...args]);
    const ok = await e('-e', 'echo', 'hi', 'there');
    expect(ok.exitCode).toBe(0);
    expect(ok.stdout).toMatch(/: hi there$/);
    expect(ok.stderr).toBe('');
    const one = await e('-e', '.annotate false echo "a  b"');
    expect(one.stdout).toBe('a  b');
    const quoted = await e('-e', '.annotate', 'false', 'echo', 'a  b');
    expect(quoted.stdout).toBe('a  b');
    const bad = await e('-e', 'shell', 'definitelynotarealcommand');
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toMatch(
      /exec: "definitelynotarealcommand": executable file not found in \$PATH/,
    );
    const invalid = await e('-e', 'no such command');
    expect(invalid.exitCode).toBe(1);
    expect(invalid.stderr).toMatch(/invalid command/);
    // -namespace with a single quoted command (sharp edge 2): the namespace
    // command belongs to another module; the line must at least compile as
    // `namespace <ns> echo hi` and never as one quoted word
    const ns = await e('-namespace', 'foo', '-e', '.annotate false echo hi');
    const history = await e('-e', '.annotate false history');
    expect(history.stdout).toContain('echo hi there');
    if (ns.exitCode === 0) expect(ns.stdout).toBe('hi');
    else expect(ns.stderr).not.toMatch(/"\.annotate false echo hi"/);
  });

  it('refuses to start a second daemon on a live socket', async () => {
    await using d = await daemonProcess();
    const second = await minimega(['-base', d.base, '-nostdin']);
    expect(second.exitCode).toBe(1);
    expect(second.stderr).toMatch(/minimega appears to already be running, override with -force/);
    expect(existsSync(d.socket)).toBe(true);
  });

  it('SIGTERM shuts down in order: socket and pid file removed, exit 0', async () => {
    const d = await daemonProcess();
    const pid = Number((await readFile(join(d.base, 'minimega.pid'), 'utf8')).trim());
    expect(pid).toBe(d.proc.pid);
    d.proc.kill('SIGTERM');
    const r = await d.proc;
    expect(r.exitCode).toBe(0);
    expect(existsSync(d.socket)).toBe(false);
    expect(existsSync(join(d.base, 'minimega.pid'))).toBe(false);
    await d[Symbol.asyncDispose]();
  });

  it('quit over the socket ends the process', async () => {
    const d = await daemonProcess(['-level', 'info']);
    const c = await MinimegaClient.dial(d.socket);
    await expect(c.runAll('quit')).rejects.toMatchObject({ code: 'ERR_DISCONNECTED' });
    await c.close();
    const r = await d.proc;
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toMatch(/shutting down: quitting/);
    await d[Symbol.asyncDispose]();
  });

  it('-e quit ends the daemon and exits 0 silently (no reply comes, as minimega)', async () => {
    const d = await daemonProcess();
    const r = await minimega(['-base', d.base, '-e', 'quit']);
    expect([r.exitCode, r.stdout, r.stderr]).toEqual([0, '', '']);
    expect((await d.proc).exitCode).toBe(0);
    await d[Symbol.asyncDispose]();
  });

  it('the console runs commands typed on stdin and quits at EOF', async () => {
    await using base = await tempBase();
    const r = await minimega(['-base', base.path, '-level', 'info'], {
      input: '.annotate false\necho typed at the prompt\nnot a command\n',
    });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^minimega-ts \S+: a TypeScript implementation of minimega\n/);
    expect(r.stdout).toContain('typed at the prompt');
    expect(r.stdout).toContain('minimega[minimega]$ ');
    expect(r.stderr).toMatch(/invalid command/);
    expect(r.stderr).toMatch(/shutting down: quitting/);
  });
});
