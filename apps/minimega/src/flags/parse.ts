// Go `flag` package syntax: `-name value`, `-name=value`, `--name`, booleans as
// `-name` or `-name=false`; parsing stops at the first positional argument or
// after `--`. Errors read like Go's so scripts written for minimega still
// make sense of them.

import { moduleFlags } from './module-flags.js';
import { coreFlags, type FlagDef, LEVELS } from './registry.js';

export type FlagValue = string | number | boolean;

export class FlagError extends Error {
  readonly code = 'ERR_FLAG' as const;
}

/** `-h`/`-help` was given: print usage, exit 0. */
export class FlagHelpRequested extends Error {
  readonly code = 'ERR_FLAG_HELP' as const;
}

export interface ParsedFlags {
  /** value per flag key (defaults filled in) */
  values: Record<string, FlagValue>;
  /** keys given explicitly on the command line */
  set: Set<string>;
  /** arguments after the flags */
  positional: string[];
}

export function allFlags(): FlagDef[] {
  return [...coreFlags, ...moduleFlags];
}

const keyOf = (d: FlagDef): string => d.key ?? d.name;

function parseBool(s: string): boolean | undefined {
  // Go strconv.ParseBool
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(s)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(s)) return false;
  return undefined;
}

function parseInteger(s: string, unsigned: boolean): number | undefined {
  // Go ParseInt base 0: optional sign, 0x/0o/0b prefixes, underscores between digits
  const m = /^([+-]?)(0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|[0-9_]+)$/.exec(s);
  if (!m) return undefined;
  const body = m[2]!.replace(/_/g, '');
  let n: number;
  if (/^0[xX]/.test(body)) n = Number.parseInt(body.slice(2), 16);
  else if (/^0[oO]/.test(body)) n = Number.parseInt(body.slice(2), 8);
  else if (/^0[bB]/.test(body)) n = Number.parseInt(body.slice(2), 2);
  else if (body.length > 1 && body.startsWith('0')) n = Number.parseInt(body, 8);
  else n = Number.parseInt(body, 10);
  if (Number.isNaN(n) || !Number.isSafeInteger(n)) return undefined;
  if (m[1] === '-') {
    if (unsigned) return undefined;
    n = -n;
  }
  return n;
}

export function convertFlagValue(def: FlagDef, raw: string): FlagValue {
  const bad = (why: string) =>
    new FlagError(`invalid value ${JSON.stringify(raw)} for flag -${def.name}: ${why}`);
  switch (def.type) {
    case 'string':
      return raw;
    case 'bool': {
      const b = parseBool(raw);
      if (b === undefined) throw bad('parse error (want true or false)');
      return b;
    }
    case 'int':
    case 'uint': {
      const n = parseInteger(raw, def.type === 'uint');
      if (n === undefined)
        throw bad(
          def.type === 'uint'
            ? 'parse error (want an unsigned integer)'
            : 'parse error (want an integer)',
        );
      return n;
    }
    case 'level':
      if (!(LEVELS as readonly string[]).includes(raw))
        throw bad(`invalid log level (want one of ${LEVELS.join(', ')})`);
      return raw;
    case 'accel':
      if (!['auto', 'kvm', 'tcg'].includes(raw)) throw bad('want auto, kvm or tcg');
      return raw;
  }
}

export function parseFlags(argv: string[], defs: FlagDef[] = allFlags()): ParsedFlags {
  const byName = new Map<string, FlagDef>();
  const values: Record<string, FlagValue> = {};
  for (const d of defs) {
    byName.set(d.name, d);
    for (const a of d.aliases ?? []) byName.set(a, d);
    values[keyOf(d)] = d.default;
  }
  const set = new Set<string>();
  let i = 0;
  while (i < argv.length) {
    const arg = argv[i]!;
    if (arg.length < 2 || arg[0] !== '-') break; // positional (including a lone "-")
    let dashes = 1;
    if (arg[1] === '-') {
      dashes = 2;
      if (arg.length === 2) {
        i++; // "--" terminates the flags
        break;
      }
    }
    let name = arg.slice(dashes);
    if (name.length === 0 || name[0] === '-' || name[0] === '=') {
      throw new FlagError(`bad flag syntax: ${arg}`);
    }
    i++;
    let value: string | undefined;
    const eq = name.indexOf('=');
    if (eq >= 0) {
      value = name.slice(eq + 1);
      name = name.slice(0, eq);
    }
    if (name === 'h' || name === 'help') {
      if (!byName.has(name)) throw new FlagHelpRequested('help requested');
    }
    const def = byName.get(name);
    if (!def) throw new FlagError(`flag provided but not defined: -${name}`);
    if (def.type === 'bool') {
      values[keyOf(def)] = value === undefined ? true : convertFlagValue(def, value);
    } else {
      if (value === undefined) {
        if (i >= argv.length) throw new FlagError(`flag needs an argument: -${name}`);
        value = argv[i]!;
        i++;
      }
      values[keyOf(def)] = convertFlagValue(def, value);
    }
    set.add(keyOf(def));
  }
  return { values, set, positional: argv.slice(i) };
}

/** Flags given explicitly whose feature does not exist yet: one message per flag. */
export function missingFeatureErrors(parsed: ParsedFlags, defs: FlagDef[] = allFlags()): string[] {
  const out: string[] = [];
  for (const d of defs) {
    if (d.missing && parsed.set.has(keyOf(d))) out.push(`-${d.name}: ${d.missing}`);
  }
  return out;
}

/** Go-like `flag.PrintDefaults` text. */
export function usageText(defs: FlagDef[] = allFlags()): string {
  const lines = ['usage: minimega [option]...'];
  const sorted = [...defs].sort((a, b) => a.name.localeCompare(b.name));
  for (const d of sorted) {
    for (const name of [d.name, ...(d.aliases ?? [])]) {
      const typ =
        d.type === 'bool' ? '' : ` ${d.type === 'level' || d.type === 'accel' ? 'value' : d.type}`;
      lines.push(`  -${name}${typ}`);
      let usage = `    \t${d.usage}`;
      if (d.type === 'string' && d.default !== '')
        usage += ` (default ${JSON.stringify(d.default)})`;
      else if (d.type !== 'string' && d.default !== false && d.default !== 0)
        usage += ` (default ${String(d.default)})`;
      if (d.missing) usage += ` [not available yet: ${d.missing}]`;
      lines.push(usage);
    }
  }
  return lines.join('\n');
}
