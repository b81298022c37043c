// The typed namespace clear: each asked host runs its own destroy with the
// target it was sent, a host's failure comes back as that host's error, and
// a malformed target never reaches the handler.
import { NamespaceClear } from '@mm/namespace';
import { expect, test } from 'vitest';
import { clearNamespacesOn, type NamespaceClearTarget, serveNamespaceClear } from '../src/clear.js';
import { meshCluster } from './mesh-fixture.js';

test('clearNamespacesOn reaches every host once; errors are per host', async () => {
  await using c = await meshCluster(['h1', 'h2', 'h3']);
  const seen: string[] = [];
  for (const { name, mesh } of c.nodes)
    serveNamespaceClear(mesh, (target: NamespaceClearTarget, ctx) => {
      seen.push(`${name}<-${ctx.from}:${JSON.stringify(target)}`);
      if (name === 'h3') throw new Error('scheduler still running for namespace');
    });
  const head = c.byName('h1').mesh;
  const all = await clearNamespacesOn(head, ['h2', 'h3'], 'all');
  expect(all.map((r) => [r.host, r.ok, r.ok ? null : r.error.message])).toEqual([
    ['h2', true, null],
    ['h3', false, 'scheduler still running for namespace'],
  ]);
  await clearNamespacesOn(head, ['h2'], ['foo', 'bar']);
  expect(seen.sort()).toEqual(['h2<-h1:"all"', 'h2<-h1:["foo","bar"]', 'h3<-h1:"all"']);
  // a target that is neither 'all' nor a list of names is refused at h2's boundary
  const bad = await head.send(['h2'], NamespaceClear, { names: 'everything' } as never);
  expect(bad[0]?.ok).toBe(false);
  expect(seen).toHaveLength(3);
});
