// Names for the network namespaces, bridges and taps a real test creates:
// short (interface names have 15 characters at most) and unique per process,
// so parallel runs by other people never collide. No vitest import here:
// benchmarks use it.
let seq = 0;

/** `prefix` + pid (mod 100000) + a per-process counter in base 36. */
export function uniqueName(prefix: string): string {
  return `${prefix}${process.pid % 100000}${(seq++).toString(36)}`;
}
