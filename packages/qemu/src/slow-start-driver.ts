// A fake driver whose start() holds until its signal aborts (or 60 s): a
// QEMU slow to start, for tests and benches of launch cancellation and
// launch parallelism.

import type { VmDriver } from './driver.js';
import { createFakeDriver } from './fake-driver.js';

export interface SlowStartDriver {
  driver: VmDriver;
  /** how many start() calls have begun */
  started(): number;
}

export function createSlowStartDriver(): SlowStartDriver {
  const fake = createFakeDriver();
  let started = 0;
  const driver: VmDriver = {
    ...fake,
    async start(s) {
      started++;
      s.signal?.throwIfAborted();
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(resolve, 60_000);
        s.signal?.addEventListener(
          'abort',
          () => {
            clearTimeout(t);
            reject(s.signal?.reason ?? new Error('aborted'));
          },
          { once: true },
        );
      });
      return fake.start(s);
    },
  };
  return { driver, started: () => started };
}
