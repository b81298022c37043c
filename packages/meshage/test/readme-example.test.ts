import { expect, test } from 'vitest';
import { main } from '../examples/orchestrator.js';
import { discoveryPortFor } from './util.js';

test('the README orchestrator example runs and hears from both other workers', async () => {
  const lines = await main(discoveryPortFor(4));
  expect(lines).toHaveLength(2);
  expect(lines.map((l) => l.split(':')[0]).sort()).toEqual(['w2', 'w3']);
  for (const l of lines) expect(l).toMatch(/: load \d+\.\d\d$/);
});
