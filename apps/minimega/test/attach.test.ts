// `minimega -attach` driven through a real terminal (tmux): prompt, output,
// tab completion through Suggest, history, the double quit, disconnect.
import { spawnSync } from 'node:child_process';
import { afterEach, expect } from 'vitest';
import { realComponent } from '#test-support';
import { appDir, inProcessDaemon, mainTs } from './helpers.js';

const tmux = realComponent('tmux', () => {
  const r = spawnSync('tmux', ['-V'], { stdio: 'ignore' });
  return r.status === 0 ? undefined : 'tmux not installed';
});

const session = `mm-core-attach-${process.pid}`;
const sock = `/tmp/mm-core-tmux-${process.pid}`;
const tm = (...args: string[]) => spawnSync('tmux', ['-S', sock, ...args], { encoding: 'utf8' });

afterEach(() => {
  tm('kill-server');
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(pred: (screen: string) => boolean, what: string): Promise<string> {
  let screen = '';
  for (let i = 0; i < 150; i++) {
    screen = tm('capture-pane', '-p', '-t', session).stdout;
    if (pred(screen)) return screen;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}; screen:\n${screen}`);
}

tmux.test('attach: prompt, output, completion, history, double quit, disconnect', async () => {
  await using d = await inProcessDaemon();
  const cmd = `cd ${appDir} && node --conditions=source --import tsx ${mainTs} -base ${d.base} -attach; echo ATTACH-EXIT=$?; sleep 30`;
  expect(tm('new-session', '-d', '-s', session, '-x', '150', '-y', '40', cmd).status).toBe(0);
  const prompt = `minimega:${d.base}/minimega$ `;
  await waitFor((s) => s.includes(prompt.trimEnd()), 'the prompt');
  const screen0 = tm('capture-pane', '-p', '-t', session).stdout;
  expect(screen0).toContain("CAUTION: calling 'quit' will cause the minimega daemon to exit");

  tm('send-keys', '-t', session, 'echo hello from tmux', 'Enter');
  await waitFor((s) => s.includes('testhost: hello from tmux'), 'echo output');

  tm('send-keys', '-t', session, 'clear hist', 'Tab');
  await waitFor((s) => s.includes(`${prompt}clear history`), 'tab completion');
  tm('send-keys', '-t', session, 'C-u');
  tm('send-keys', '-t', session, 'Up', 'Enter');
  await waitFor((s) => s.split('testhost: hello from tmux').length === 3, 'history recall');

  tm('send-keys', '-t', session, 'quit', 'Enter');
  await waitFor(
    (s) => s.includes("If you really want to stop the minimega daemon, enter 'quit' again"),
    'quit caution',
  );
  expect(d.core.stopping).toBe(false);

  tm('send-keys', '-t', session, 'disconnect', 'Enter');
  await waitFor((s) => s.includes('ATTACH-EXIT=0'), 'disconnect');
  expect(d.core.stopping).toBe(false);
});
