// Pattern grammar (minicli.md §3): lexing a handler pattern into items, and
// rendering items back for help and usage.
import { PatternError } from './errors.js';
import { GO_SPACE } from './lex.js';

/** Item type bits, as minimega's `-cli` JSON document reports them. */
export const ItemType = {
  optional: 1,
  literal: 2,
  command: 4,
  string: 8,
  choice: 16,
  list: 32,
} as const;

export interface PatternItem {
  /** bit set of ItemType */
  type: number;
  /** the argument key: text up to the first space ('' for literals and choices) */
  key: string;
  /** the full text of the item between its brackets (or the literal) */
  text: string;
  /** the options of a choice item */
  options: string[];
}

const SPACE = new RegExp(`^${GO_SPACE.source}$`, 'u');
const REQUIRE_EOL = ItemType.list | ItemType.command | ItemType.optional;
const TERMINAL_TYPE: Record<string, number> = {
  '>': ItemType.string,
  ']': ItemType.string | ItemType.optional,
  ')': ItemType.command,
};
const CLOSER: Record<string, string> = { '<': '>', '[': ']', '(': ')' };

/** Parse one pattern into items; throws PatternError naming the pattern. */
export function parsePattern(pattern: string): PatternItem[] {
  const chars = Array.from(pattern);
  let pos = 0;
  const items: PatternItem[] = [];
  const fail = (msg: string): never => {
    throw new PatternError(`${msg} in pattern \`${pattern}\``, pattern);
  };
  const next = (): string | undefined => chars[pos++];

  // After `>`/`]`: the only thing allowed before the next space is `...`.
  const checkList = (terminal: string): boolean => {
    let count = 0;
    for (let c = next(); c !== undefined; c = next()) {
      if (SPACE.test(c)) break;
      if (c !== '.') fail(`invalid trailing characters after ${terminal}`);
      count++;
    }
    if (count !== 0 && count !== 3) fail(`invalid trailing characters after ${terminal}`);
    return count === 3;
  };
  const enforceEOF = (item: PatternItem): void => {
    if (item.type & REQUIRE_EOL && pos < chars.length) {
      fail('trailing characters when EOF expected');
    }
  };

  let literal = '';
  const flushLiteral = (): void => {
    if (literal.length > 0)
      items.push({ type: ItemType.literal, key: '', text: literal, options: [] });
    literal = '';
  };

  for (let c = next(); c !== undefined; c = next()) {
    if (c === '"' || c === "'") fail('single and double quotes are not allowed');
    const terminal = CLOSER[c];
    if (terminal === undefined) {
      if (SPACE.test(c)) flushLiteral();
      else literal += c;
      continue;
    }
    flushLiteral();
    items.push(lexVariable(terminal));
  }
  flushLiteral();
  if (items.length === 0) fail('empty pattern');
  return items;

  function lexVariable(terminal: string): PatternItem {
    const item: PatternItem = { type: TERMINAL_TYPE[terminal]!, key: '', text: '', options: [] };
    let content = '';
    for (let c = next(); c !== undefined; c = next()) {
      if (c === '<' || c === '[' || c === '(') fail('cannot nest items');
      if (c === '"' || c === "'") fail('single and double quotes are not allowed');
      if (c === ',') {
        item.options = [content];
        item.text = content + ',';
        return lexMulti(item, terminal);
      }
      if (c === terminal) {
        item.key = content;
        item.text = content;
        if ((terminal === '>' || terminal === ']') && checkList(terminal)) {
          item.type = ItemType.list | (terminal === ']' ? ItemType.optional : 0);
        }
        enforceEOF(item);
        return item;
      }
      if (SPACE.test(c)) {
        item.key = content;
        item.text = content + c;
        return lexComment(item, terminal);
      }
      content += c;
    }
    return fail(`missing terminal ${terminal}`);
  }

  function lexMulti(item: PatternItem, terminal: string): PatternItem {
    let content = '';
    for (let c = next(); c !== undefined; c = next()) {
      if (c === '<' || c === '[' || c === '(') fail('cannot nest items');
      if (c === '"' || c === "'") fail('single and double quotes are not allowed');
      if (c === ',') {
        item.options.push(content);
        item.text += content + ',';
        content = '';
      } else if (c === terminal) {
        if (content.length > 0) {
          item.options.push(content);
          item.text += content;
        }
        item.type = ItemType.choice | (terminal === ']' ? ItemType.optional : 0);
        enforceEOF(item);
        return item;
      } else if (SPACE.test(c)) {
        fail('spaces not allowed in multiple choice');
      } else {
        content += c;
      }
    }
    return fail(`missing terminal ${terminal}`);
  }

  // Documentation text after the key: `<vm name>`. Like minimega, an item with
  // documentation is only checked for trailing text when it is a list.
  function lexComment(item: PatternItem, terminal: string): PatternItem {
    let content = '';
    for (let c = next(); c !== undefined; c = next()) {
      if (c === '<' || c === '[' || c === '(') fail('cannot nest items');
      if (c === '"' || c === "'") fail('single and double quotes are not allowed');
      if (c === terminal) {
        item.text += content;
        if (checkList(terminal)) {
          item.type = ItemType.list | (terminal === ']' ? ItemType.optional : 0);
          enforceEOF(item);
        }
        return item;
      }
      content += c;
    }
    return fail(`missing terminal ${terminal}`);
  }
}

export const isOptional = (i: PatternItem): boolean => (i.type & ItemType.optional) !== 0;
export const isLiteral = (i: PatternItem): boolean => (i.type & ItemType.literal) !== 0;
export const isCommand = (i: PatternItem): boolean => (i.type & ItemType.command) !== 0;
export const isString = (i: PatternItem): boolean => (i.type & ItemType.string) !== 0;
export const isChoice = (i: PatternItem): boolean => (i.type & ItemType.choice) !== 0;
export const isList = (i: PatternItem): boolean => (i.type & ItemType.list) !== 0;

/** Render one item as help shows it. */
export function renderItem(i: PatternItem): string {
  const { optional, literal, command, string, choice, list } = ItemType;
  switch (i.type) {
    case literal:
      return i.text;
    case string:
    case choice:
      return i.options.length === 1 ? i.options[0]! : `<${i.text}>`;
    case string | optional:
    case choice | optional:
      return `[${i.text}]`;
    case list:
      return `<${i.text}>...`;
    case list | optional:
      return `[${i.text}]...`;
    case command:
      return `(${i.text})`;
    default:
      return i.text;
  }
}

/** Render a parsed pattern as help shows it. */
export function renderPattern(items: readonly PatternItem[]): string {
  return items.map(renderItem).join(' ');
}
