// Go strconv parsing with Go's error texts: minimega returns them verbatim
// (`vm config memory foo` -> `strconv.ParseUint: parsing "foo": invalid syntax`).
import { ConfigValueError } from './errors.js';

const U64_MAX = (1n << 64n) - 1n;
const I64_MAX = (1n << 63n) - 1n;

function quote(s: string): string {
  return JSON.stringify(s);
}

/** Go `strconv.ParseUint(s, 10, 64)`; numbers above 2^53 are kept exact as bigint then narrowed. */
export function parseUint(s: string): number {
  if (!/^[0-9]+$/.test(s.replace(/_/g, '')) || s.includes('_')) {
    throw new ConfigValueError(`strconv.ParseUint: parsing ${quote(s)}: invalid syntax`);
  }
  const v = BigInt(s);
  if (v > U64_MAX)
    throw new ConfigValueError(`strconv.ParseUint: parsing ${quote(s)}: value out of range`);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new ConfigValueError(`strconv.ParseUint: parsing ${quote(s)}: value out of range`);
  }
  return Number(v);
}

/** Go `strconv.ParseInt(s, 10, 64)`. */
export function parseInt64(s: string): number {
  if (!/^[+-]?[0-9]+$/.test(s)) {
    throw new ConfigValueError(`strconv.ParseInt: parsing ${quote(s)}: invalid syntax`);
  }
  const v = BigInt(s);
  if (
    v > I64_MAX ||
    v < -I64_MAX - 1n ||
    v > BigInt(Number.MAX_SAFE_INTEGER) ||
    v < BigInt(Number.MIN_SAFE_INTEGER)
  ) {
    throw new ConfigValueError(`strconv.ParseInt: parsing ${quote(s)}: value out of range`);
  }
  return Number(v);
}

/** Go `strconv.ParseBool`. */
export function parseBool(s: string): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(s)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(s)) return false;
  throw new ConfigValueError(`strconv.ParseBool: parsing ${quote(s)}: invalid syntax`);
}

/** Go's `%v` of a []string: `[a b c]`. */
export function goList(words: readonly string[]): string {
  return `[${words.join(' ')}]`;
}

/** Go strconv.Quote for the ASCII range we print (words with whitespace in config files). */
export function goQuote(s: string): string {
  return JSON.stringify(s);
}
