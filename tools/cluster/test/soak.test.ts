// The CI soak (1 minute; scripts/soak.sh runs 10): three daemons, random
// commands, random kill -9 + restart -recover, dropped links. No hang, no
// crash, no orphaned QEMU.

import { expect } from 'vitest';
import { guestImage, hasBinary } from '#test-support';
import { runSoak } from '../src/soak.js';
import { netns } from './helpers.js';

const hasQemu = hasBinary('qemu-system-x86_64');

netns.test(
  'soak: 60 s of random commands, kill -9 / -recover restarts and link drops',
  async () => {
    expect(hasQemu, 'qemu-system-x86_64 is needed').toBe(true);
    const report = await runSoak({
      seconds: Number(process.env.MM_SOAK_SECONDS ?? 60),
      guest: await guestImage(),
      log: (m) => console.log(m),
    });
    console.log(`soak seed ${report.seed}: ${JSON.stringify(report.actions)}`);
    expect(report.failures).toEqual([]);
    expect(report.commands).toBeGreaterThan(10);
    expect(report.actions['kill -9 + restart -recover'] ?? 0).toBeGreaterThan(0);
    expect(report.actions['link down/up'] ?? 0).toBeGreaterThan(0);
  },
  600_000,
);
