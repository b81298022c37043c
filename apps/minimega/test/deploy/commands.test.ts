// The deploy commands through a daemon: settings shown, set and cleared.
import { expect, test } from 'vitest';
import { createDeployModule } from '../../src/commands/deploy/index.js';
import { coreRunner } from '../core-runner.js';
import { inProcessDaemon } from '../helpers.js';

test('deploy flags/stdout/stderr/identity/timeout: view, set, clear deploy', async () => {
  await using d = await inProcessDaemon([createDeployModule()], { degree: 2 });
  const r = coreRunner(d.core);
  const flags = (await r.run('deploy flags')).text;
  expect(flags).toContain(`-base=${d.base}`);
  expect(flags).toContain('-degree=2');
  expect(flags.trim().endsWith('-nostdin=true')).toBe(true);
  expect(flags).not.toMatch(/-force|-recover|-logfile|-e=|-attach/);

  await r.run('deploy flags -base=/x "-level=info debug"');
  expect((await r.run('deploy flags')).text.trim()).toBe(
    "-base=/x '-level=info debug' -nostdin=true",
  );
  expect((await r.run('deploy stdout')).text.trim()).toBe('/x/minimega.out');
  await r.run('deploy stderr /var/log/mm.err');
  expect((await r.run('deploy stderr')).text.trim()).toBe('/var/log/mm.err');
  await r.run('deploy identity /k/id');
  expect((await r.run('deploy identity')).text.trim()).toBe('/k/id');
  expect((await r.run('deploy timeout 0')).errors[0]).toMatch(/invalid deploy timeout "0"/);
  await r.run('deploy timeout 5');

  await r.run('clear deploy flags');
  expect((await r.run('deploy flags')).text).toContain(`-base=${d.base}`);
  expect((await r.run('deploy stderr')).text.trim()).toBe('/var/log/mm.err');
  await r.run('clear deploy');
  expect((await r.run('deploy stderr')).text.trim()).toBe(`${d.base}/minimega.err`);
  expect((await r.run('deploy identity')).text.trim()).toBe('');
  expect((await r.run('deploy timeout')).text.trim()).toBe('60');
});

test('deploy launch without a mesh or with a bad range says so, and the daemon goes on', async () => {
  await using d = await inProcessDaemon([createDeployModule()]);
  const r = coreRunner(d.core);
  expect((await r.run('deploy launch mm[1-')).errors.join()).not.toBe('');
  expect((await r.run('deploy launch mm1')).errors[0]).toMatch(/meshage is not running/);
  expect((await r.run('deploy timeout')).text.trim()).toBe('60');
});
