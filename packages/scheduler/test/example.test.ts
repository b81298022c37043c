import { expect, test } from 'vitest';
import { example } from '../examples/basic.js';

// The README shows this output: keep the example runnable and its output exact.
test('examples/basic.ts prints what the README shows', () => {
  expect(example()).toBe(
    [
      'mm1: db cache',
      'mm2: web1 web2',
      'mm3: ',
      'ERR_DOES_NOT_FIT: does not fit: vm huge needs 16 vCPU(s), 1024 MB; no host has room: 3 of 3 host(s) have less than 16 vCPU(s) left (the most: 12 of 16 on mm2, cpu overcommit 2 × 8 CPUs)',
    ].join('\n'),
  );
});
