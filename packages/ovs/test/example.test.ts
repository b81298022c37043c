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

it('the README host network example runs and leaves no bridge', async () => {
  const r = await execa('node', ['--import', 'tsx', 'packages/ovs/examples/host-network.ts'], {
    cwd: root,
  });
  expect(r.stdout).toBe(
    [
      'new alias lab//DMZ = 101',
      'web mega_tap0 DMZ (101) [loss 5 delay 100ms]',
      'db mega_tap1 DMZ (101) []',
      'Bridge      Tap       VLAN',
      'mega_bridge mega_tap2 lab//DMZ',
      'bridges left: 0',
    ].join('\n'),
  );
});
