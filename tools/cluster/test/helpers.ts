import { realComponent } from '#test-support';
import type { ClusterHost } from '../src/index.js';
import { clusterUnavailable } from '../src/index.js';

/** Tests that need root and network namespaces. */
export const netns = realComponent('netns', () => clusterUnavailable() || undefined);

export async function meshSize(h: ClusterHost): Promise<number> {
  const [r] = await h.run('mesh status');
  return Number(r?.Tabular?.[0]?.[0] ?? 0);
}

/** Poll until every host reports `size` (the deadline only bounds a broken build). */
export async function waitForSize(
  hosts: ClusterHost[],
  size: number,
  timeoutMs = 30_000,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const sizes = await Promise.all(hosts.map(meshSize));
    if (sizes.every((s) => s === size)) return;
    if (Date.now() > end) {
      throw new Error(`mesh sizes ${sizes.join(',')} never all reached ${size}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
