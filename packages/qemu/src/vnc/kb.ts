// `.kb` files (spec §7): one `<delay>:<event>` per line, the delay in
// nanoseconds or as a Go duration. Parsing and writing only; the player and
// recorder are in sessions.ts.
import { keysymName, keysymOf } from './keysyms.js';

export type KbEvent =
  | { type: 'KeyEvent'; down: boolean; key: number }
  | { type: 'PointerEvent'; mask: number; x: number; y: number }
  | { type: 'LoadFile'; path: string }
  /** wait until `image` is on screen (ClickItEvent: then click its centre) */
  | { type: 'WaitForIt' | 'ClickItEvent'; timeoutNs: number; image: string };

export class KbParseError extends Error {
  readonly code = 'ERR_KB_PARSE' as const;
}

const GO_BOOL: Record<string, boolean> = {
  '1': true,
  t: true,
  T: true,
  TRUE: true,
  true: true,
  True: true,
  '0': false,
  f: false,
  F: false,
  FALSE: false,
  false: false,
  False: false,
};

const UNIT_NS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** nanoseconds of `<int>` or a Go duration; NaN when neither */
export function parseDelay(text: string): number {
  if (/^\d+$/.test(text)) return Number(text);
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let ns = 0;
  let at = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    ns += Number(m[1]) * UNIT_NS[m[2]!]!;
    at = re.lastIndex;
  }
  return at > 0 && at === text.length ? Math.round(ns) : Number.NaN;
}

export function parseEvent(text: string): KbEvent {
  const f = text.split(',');
  const expect = (n: number, what: string) => {
    if (f.length - 1 !== n)
      throw new KbParseError(`expected ${n} values for ${what}, got ${f.length - 1}`);
  };
  switch (f[0]) {
    case 'KeyEvent': {
      expect(2, 'KeyEvent');
      const down = GO_BOOL[f[1]!];
      if (down === undefined)
        throw new KbParseError(`invalid KeyEvent: bad down value \`${f[1]}\``);
      return { type: 'KeyEvent', down, key: keysymOf(f[2]!) };
    }
    case 'PointerEvent': {
      expect(3, 'PointerEvent');
      const [mask, x, y] = [f[1], f[2], f[3]].map((v) => Number(v));
      if (
        ![mask, x, y].every((v) => Number.isInteger(v)) ||
        mask! < 0 ||
        mask! > 255 ||
        x! < 0 ||
        x! > 65535 ||
        y! < 0 ||
        y! > 65535
      ) {
        throw new KbParseError(`invalid PointerEvent: \`${text}\``);
      }
      return { type: 'PointerEvent', mask: mask!, x: x!, y: y! };
    }
    case 'LoadFile':
      expect(1, 'LoadFile');
      return { type: 'LoadFile', path: f[1]! };
    case 'WaitForIt':
    case 'ClickItEvent': {
      expect(2, f[0]);
      const timeoutNs = parseDelay(f[1]!);
      if (Number.isNaN(timeoutNs))
        throw new KbParseError(`invalid timeout for ${f[0]}: \`${f[1]}\``);
      return { type: f[0], timeoutNs, image: f[2]! };
    }
    default:
      throw new KbParseError('invalid event specified');
  }
}

/** One line: undefined for comments and blank lines; throws on bad lines. */
export function parseLine(line: string): { delayNs: number; event: KbEvent } | undefined {
  const colon = line.indexOf(':');
  if (colon < 0) return undefined;
  const head = line.slice(0, colon).trim();
  if (head.startsWith('#')) return undefined;
  const event = parseEvent(line.slice(colon + 1).trim());
  const delayNs = parseDelay(head);
  if (Number.isNaN(delayNs)) throw new KbParseError(`invalid delay: \`${head}\``);
  return { delayNs, event };
}

export function formatEvent(e: KbEvent): string {
  if (e.type === 'KeyEvent') return `KeyEvent,${e.down},${keysymName(e.key)}`;
  if (e.type === 'PointerEvent') return `PointerEvent,${e.mask},${e.x},${e.y}`;
  if (e.type === 'LoadFile') return `LoadFile,${e.path}`;
  return `${e.type},${e.timeoutNs},${e.image}`;
}
