// A miniweb on a fake daemon, torn down with `await using`.
import { createDaemonPool } from '../src/daemon.js';
import { createMiniweb, type Miniweb } from '../src/server.js';
import { tokenStore } from '../src/tokens.js';
import { type FakeDaemon, type FakeVm, startFakeDaemon } from '../test-support/fake-daemon.js';

export const ADMIN = 'admin-token-0123';
export const VIEWER = 'viewer-token-0123';

export interface Rig {
  fake: FakeDaemon;
  web: Miniweb;
  [Symbol.asyncDispose](): Promise<void>;
}

export const sampleVms = (): FakeVm[] => [
  {
    name: 'vm1',
    namespace: 'minimega',
    host: 'head',
    id: 0,
    state: 'RUNNING',
    vlans: ['100'],
    tags: { role: 'web' },
  },
  { name: 'vm2', namespace: 'minimega', host: 'node2', id: 0, state: 'BUILDING' },
  { name: 'vmdel', namespace: 'minimega', host: 'head', id: 1, state: 'RUNNING' },
  { name: 'other1', namespace: 'other', host: 'head', id: 2, state: 'RUNNING' },
  // same name in another namespace (minimega #870)
  { name: 'vm1', namespace: 'other', host: 'node2', id: 3, state: 'PAUSED' },
];

export async function rig(
  opts: { vms?: FakeVm[]; namespace?: string; screenshotTtlMs?: number } = {},
): Promise<Rig> {
  const fake = await startFakeDaemon({ vms: opts.vms ?? sampleVms() });
  const web = await createMiniweb({
    daemon: createDaemonPool({ base: fake.base, timeoutMs: 5000 }),
    tokens: tokenStore([
      [ADMIN, 'admin'],
      [VIEWER, 'viewer'],
    ]),
    ...(opts.namespace ? { namespace: opts.namespace } : {}),
    ...(opts.screenshotTtlMs !== undefined ? { screenshotTtlMs: opts.screenshotTtlMs } : {}),
  });
  return {
    fake,
    web,
    async [Symbol.asyncDispose]() {
      await web.close();
      await fake.close();
    },
  };
}
