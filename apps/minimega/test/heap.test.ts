// The daemon's V8 settings (src/heap.ts): nothing is optimised while it
// starts, everything may be once it serves; and the flags the executable's
// code cache is made under are the ones the daemon sets.
import { readFileSync } from 'node:fs';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { afterAll, describe, expect, it } from 'vitest';
import {
  collectStartUpGarbage,
  DAEMON_START_FLAGS,
  daemonServing,
  enterDaemonStartUp,
} from '../src/heap.js';

setFlagsFromString('--allow-natives-syntax');
const natives = (body: string) => new Function('f', body) as (f: unknown) => number;
const status = natives('return %GetOptimizationStatus(f)');
const prepare = natives('return %PrepareFunctionForOptimization(f)');
const optimiseNext = natives('return %OptimizeFunctionOnNextCall(f)');
const TURBOFANNED = 1 << 4;

/** A fresh function that V8 is asked to optimise: optimised or not? */
function optimisedWhenAsked(): boolean {
  const f = new Function('x', 'return x * 2 + 1') as (x: number) => number;
  prepare(f);
  f(1);
  f(2);
  optimiseNext(f);
  f(3);
  return (status(f) & TURBOFANNED) !== 0;
}

afterAll(() => {
  // this worker's defaults again
  setFlagsFromString('--opt --semi-space-growth-factor=2');
});

describe('daemon V8 settings', () => {
  it('optimises nothing during start-up and again once serving', () => {
    expect(optimisedWhenAsked()).toBe(true);
    enterDaemonStartUp();
    expect(optimisedWhenAsked()).toBe(false);
    daemonServing();
    expect(optimisedWhenAsked()).toBe(true);
  });

  it('sea-code-cache.cjs makes the cache under the same flags', () => {
    const script = readFileSync(
      new URL('../../../scripts/sea-code-cache.cjs', import.meta.url),
      'utf8',
    );
    expect(script).toContain('DAEMON_START_FLAGS');
    // the line the script reads
    const heapTs = readFileSync(new URL('../src/heap.ts', import.meta.url), 'utf8');
    expect(/DAEMON_START_FLAGS = '([^']*)'/.exec(heapTs)?.[1]).toBe(DAEMON_START_FLAGS);
  });

  it('the start-up collection releases the young generation', async () => {
    const young = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')!;
    // young objects in both semi-spaces
    let keep: unknown[] = [];
    for (let i = 0; i < 200_000; i++) keep.push({ i });
    keep = [];
    expect(young().physical_space_size).toBeGreaterThan(young().space_size / 2);
    expect(await collectStartUpGarbage()).toBe(true);
    // V8's low-memory collection: only the semi-space in use stays committed
    expect(young().physical_space_size).toBeLessThanOrEqual(young().space_size / 2);
  });
});
