import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../..', import.meta.url));

it('the README example runs and prints the ports', async () => {
  const r = await execa('node', ['--import', 'tsx', 'packages/ovs/examples/basic.ts'], {
    cwd: root,
  });
  expect(r.stdout).toBe(
    [
      'mega_tap0  tap    DMZ (101)',
      'mega_tap1  tap    LAN (102)',
      'mega_tap2  vxlan  trunk',
      'qdisc on mega_tap0: tbf',
    ].join('\n'),
  );
});
