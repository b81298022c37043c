// Gate for tests that need a real component (QEMU, OVS, root, network
// namespaces...). Under CI=true a missing component is a failure, never a
// skip; elsewhere the test is skipped with the reason printed.
import { test } from 'vitest';

export interface RealComponent {
  /** true when the component is usable */
  readonly ok: boolean;
  /** why it is not usable (empty when ok) */
  readonly why: string;
  /** `test` that runs when ok, fails under CI when not, skips (saying why) otherwise */
  readonly test: typeof test;
}

export function realComponent(name: string, check: () => string | undefined): RealComponent {
  let why = '';
  try {
    why = check() ?? '';
  } catch (err) {
    why = err instanceof Error ? err.message : String(err);
  }
  const ok = why === '';
  const inCI = process.env.CI === 'true';
  if (ok) return { ok, why, test };
  const reason = `${name} unavailable: ${why}`;
  if (inCI) {
    const failing = ((title: string) =>
      test(title, () => {
        throw new Error(`${reason} (CI=true: real-component tests never skip)`);
      })) as unknown as typeof test;
    return { ok, why, test: failing };
  }
  console.warn(`[skip] ${reason}`);
  return { ok, why, test: test.skip as unknown as typeof test };
}
