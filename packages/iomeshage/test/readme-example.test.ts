// The README's example runs as written.
import { expect, test } from 'vitest';
import { main } from '../examples/serve-and-pull.js';

test('serve a directory on one node and pull a file on another', async () => {
  expect(await main()).toBe('hello from a\n');
});
