// minimega's generated Python bindings (cmd/pyapigen) against a real daemon
// process: pyapigen_client.py speaks the protocol exactly as they do and runs
// every command of `-cli`'s list that is safe without arguments, plus the
// setters that used to answer `"Resp": null` (TypeError in the bindings).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { expect } from 'vitest';
import { freePort, hasBinary, realComponent, tempDir } from '#test-support';
import { daemonProcess, minimega } from '../helpers.js';

const python = realComponent('python3', () =>
  hasBinary('python3') ? undefined : 'python3 is not installed',
);
const script = fileURLToPath(new URL('./pyapigen_client.py', import.meta.url));

interface Report {
  commands: string[];
  problems: string[];
  errors: Record<string, string>;
  data: Record<string, unknown>;
  quitEof: boolean;
}

python.test(
  'every reply has a list Resp; host and vm info carry Data; quit ends the connection',
  async () => {
    await using dir = await tempDir('mm-pyapi');
    const cli = await minimega(['-cli']);
    expect(cli.exitCode).toBe(0);
    const cliJson = join(dir.path, 'cli.json');
    await writeFile(cliJson, String(cli.stdout));
    await using d = await daemonProcess(['-port', String(await freePort())]);
    const r = await execa('python3', [script, d.socket, cliJson], {
      reject: false,
      timeout: 120_000,
    });
    expect(r.stderr).toBe('');
    const report = JSON.parse(String(r.stdout)) as Report;
    expect(report.problems).toEqual([]);
    // the list really covers the daemon: getters, clears and the setters
    for (const c of ['host', 'vm info', 'clear history', 'log level error', 'vlans add A 100'])
      expect(report.commands).toContain(c);
    expect(report.commands.length).toBeGreaterThan(100);
    // what fails on a fresh daemon fails for a reason a user can act on
    expect(report.errors).toMatchObject({
      'vm launch': 'namespace must contain at least one queued VM to launch VMs',
      'debug cpu stop': 'CPU profile not running',
    });
    for (const e of Object.values(report.errors))
      expect(e).not.toMatch(/internal|TypeError|undefined/);
    expect(report.errors['mesh status']).toBeUndefined();
    expect(report.data.host).toMatchObject({
      Name: expect.any(String),
      CPUs: expect.any(Number),
      MemTotal: expect.any(Number),
      Load: expect.any(String),
      Uptime: expect.any(Number),
    });
    expect(report.data['vm info']).toEqual([]);
    expect(report.quitEof).toBe(true);
    expect((await d.proc).exitCode).toBe(0);
  },
  180_000,
);
