// `minimega -attach` driven through a real terminal (tmux): prompt, output,
// tab completion through Suggest, history, the double quit, disconnect.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
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
  // tmux leaves its server socket behind
  rmSync(sock, { force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(
  pred: (screen: string) => boolean,
  what: string,
  target = session,
): Promise<string> {
  let screen = '';
  for (let i = 0; i < 150; i++) {
    screen = tm('capture-pane', '-p', '-t', target).stdout;
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

tmux.test('attach: the session ends on its own when the daemon quits or goes away', async () => {
  const start = async (d: { base: string }, name: string) => {
    const cmd = `cd ${appDir} && node --conditions=source --import tsx ${mainTs} -base ${d.base} -attach; echo ATTACH-EXIT=$?; sleep 30`;
    // the previous test's tmux server may still be going away: retry briefly
    let r = tm('new-session', '-d', '-s', name, '-x', '150', '-y', '40', cmd);
    for (let i = 0; i < 20 && r.status !== 0; i++) {
      await sleep(100);
      r = tm('new-session', '-d', '-s', name, '-x', '150', '-y', '40', cmd);
    }
    expect(r.stderr).toBe('');
    await waitFor((s) => s.includes(`minimega:${d.base}/minimega$`), 'the prompt', name);
  };

  // double quit: the daemon stops and the client exits 0 without another line
  const a = await inProcessDaemon();
  try {
    await start(a, `${session}-q`);
    tm('send-keys', '-t', `${session}-q`, 'quit', 'Enter');
    await waitFor((s) => s.includes("enter 'quit' again"), 'quit caution', `${session}-q`);
    tm('send-keys', '-t', `${session}-q`, 'quit', 'Enter');
    const screen = await waitFor((s) => s.includes('ATTACH-EXIT='), 'exit', `${session}-q`);
    expect(screen).toContain('ATTACH-EXIT=0');
    expect(a.core.stopping).toBe(true);
  } finally {
    await a.close();
  }

  // the daemon goes away while the prompt is idle: the client says so and exits 1
  const b = await inProcessDaemon();
  await start(b, `${session}-g`);
  await b.close();
  const screen = await waitFor((s) => s.includes('ATTACH-EXIT='), 'exit', `${session}-g`);
  expect(screen).toContain('minimega: server disconnected');
  expect(screen).toContain('ATTACH-EXIT=1');
});
