import { expect, test } from 'vitest';
import { example } from '../examples/basic.js';

// The README shows this output: keep the example runnable and its output exact.
test('examples/basic.ts runs and prints what the README shows', async () => {
  expect(await example()).toBe(
    [
      '$ vm inf',
      'host | name  | state   | vcpus',
      'kn1  | web   | RUNNING | 2',
      'kn10 | cache | PAUSED  | 1',
      'kn2  | db    | RUNNING | 4',
      '$ .columns name,state .filter state=running vm info',
      'host | name | state',
      'kn1  | web  | RUNNING',
      'kn2  | db   | RUNNING',
      '$ .csv true vm info db',
      'host,name,state,vcpus',
      'kn2,db,RUNNING,4',
      '$ version',
      'kn[1-3,10]: minimega 2.9',
      '$ vm bogus',
      'Error (kn1): invalid command: `vm bogus`',
    ].join('\n'),
  );
});
