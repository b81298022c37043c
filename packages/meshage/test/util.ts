// Test helpers: poll until a condition holds (tests assert behaviour, the
// deadline only bounds how long a broken build hangs).
export async function until(
  what: string,
  cond: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
  stepMs = 10,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

export function uniqueContext(): string {
  return `test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}

/** a port for UDP discovery shared by one test file's TCP nodes */
export function discoveryPortFor(seed: number): number {
  return 40_000 + ((process.pid * 7 + seed * 131) % 20_000);
}
