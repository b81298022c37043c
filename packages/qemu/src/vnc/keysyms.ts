// X11 keysym names used by `.kb` files (spec §7.1): printable ASCII by its
// X11 name, the common function keys, and `U+XXXX` for everything else.

const ASCII_NAMES: Record<string, string> = {
  ' ': 'space',
  '!': 'exclam',
  '"': 'quotedbl',
  '#': 'numbersign',
  $: 'dollar',
  '%': 'percent',
  '&': 'ampersand',
  "'": 'apostrophe',
  '(': 'parenleft',
  ')': 'parenright',
  '*': 'asterisk',
  '+': 'plus',
  ',': 'comma',
  '-': 'minus',
  '.': 'period',
  '/': 'slash',
  ':': 'colon',
  ';': 'semicolon',
  '<': 'less',
  '=': 'equal',
  '>': 'greater',
  '?': 'question',
  '@': 'at',
  '[': 'bracketleft',
  '\\': 'backslash',
  ']': 'bracketright',
  '^': 'asciicircum',
  _: 'underscore',
  '`': 'grave',
  '{': 'braceleft',
  '|': 'bar',
  '}': 'braceright',
  '~': 'asciitilde',
};

const SPECIAL: Record<string, number> = {
  BackSpace: 0xff08,
  Tab: 0xff09,
  Linefeed: 0xff0a,
  Return: 0xff0d,
  Pause: 0xff13,
  Scroll_Lock: 0xff14,
  Escape: 0xff1b,
  Delete: 0xffff,
  Home: 0xff50,
  Left: 0xff51,
  Up: 0xff52,
  Right: 0xff53,
  Down: 0xff54,
  Page_Up: 0xff55,
  Prior: 0xff55,
  Page_Down: 0xff56,
  Next: 0xff56,
  End: 0xff57,
  Insert: 0xff63,
  Menu: 0xff67,
  Num_Lock: 0xff7f,
  KP_Enter: 0xff8d,
  Shift_L: 0xffe1,
  Shift_R: 0xffe2,
  Control_L: 0xffe3,
  Control_R: 0xffe4,
  Caps_Lock: 0xffe5,
  Meta_L: 0xffe7,
  Meta_R: 0xffe8,
  Alt_L: 0xffe9,
  Alt_R: 0xffea,
  Super_L: 0xffeb,
  Super_R: 0xffec,
  // aliases that name the same keysym as above (read only)
  quoteright: 0x27,
  quoteleft: 0x60,
};
for (let i = 1; i <= 12; i++) SPECIAL[`F${i}`] = 0xffbd + i;

const BY_NAME = new Map<string, number>();
const BY_SYM = new Map<number, string>();
for (let c = 0x20; c < 0x7f; c++) {
  const ch = String.fromCharCode(c);
  const name = ASCII_NAMES[ch] ?? ch;
  BY_NAME.set(name, c);
  BY_SYM.set(c, name);
}
for (const [name, sym] of Object.entries(SPECIAL)) {
  BY_NAME.set(name, sym);
  // the first name wins, once: stable names in recordings (fixes sharp edge: names varying per run)
  if (!BY_SYM.has(sym)) BY_SYM.set(sym, name);
}

export class UnknownKeyError extends Error {
  readonly code = 'ERR_UNKNOWN_KEY' as const;
  constructor(key: string) {
    super(`unknown key: \`${key}\``);
  }
}

export function keysymOf(name: string): number {
  const sym = BY_NAME.get(name);
  if (sym !== undefined) return sym;
  const u = /^U\+([0-9A-Fa-f]{1,6})$/.exec(name);
  if (u) {
    const cp = Number.parseInt(u[1]!, 16);
    // Unicode keysyms: Latin-1 as itself, the rest at 0x01000000 + code point
    return cp < 0x100 ? cp : 0x01000000 + cp;
  }
  throw new UnknownKeyError(name);
}

export function keysymName(sym: number): string {
  const n = BY_SYM.get(sym);
  if (n) return n;
  const cp = sym >= 0x01000000 ? sym - 0x01000000 : sym;
  return `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
}

const SHIFTED = new Set('~!@#$%^&*()_+{}|:"<>?'.split(''));

/** Key events typing `text` on a US keymap (spec §7.3): [keysym name, needs shift]. */
export function typeKeys(text: string): { name: string; shift: boolean }[] {
  const out: { name: string; shift: boolean }[] = [];
  for (const ch of text) {
    if (ch === '\t') out.push({ name: 'Tab', shift: false });
    else if (ch === '\n') out.push({ name: 'Return', shift: false });
    else if (ch === '\r') out.push({ name: 'Return', shift: false });
    else {
      const c = ch.codePointAt(0)!;
      if (c < 0x20 || c > 0x7e) {
        throw new Error(
          `unknown non-ascii character: U+${c.toString(16).toUpperCase().padStart(4, '0')} ${ch}`,
        );
      }
      out.push({ name: BY_SYM.get(c)!, shift: SHIFTED.has(ch) || (ch >= 'A' && ch <= 'Z') });
    }
  }
  return out;
}
