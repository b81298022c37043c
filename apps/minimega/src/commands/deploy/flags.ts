// The flag words a deployed daemon starts with (deploy-recover.md §1.2, and
// sharp edges 2 and 4: an allow-list with live values, always -nostdin=true).
import { allFlags } from '../../flags/parse.js';
import type { FlagDef } from '../../flags/registry.js';

/**
 * Flags never forwarded: client modes, one-off start-up switches, and ones
 * deploy sets itself. The original forwards them all (sharp edge 4): a head
 * started with -force or -recover made every deployed node do the same.
 */
export const NOT_FORWARDED = new Set([
  'e',
  'attach',
  'cli',
  'version',
  'namespace',
  'force',
  'recover',
  'panic',
  'pipe',
  'logfile',
  'nostdin',
  'headnode',
  'meshkey',
]);

export interface FlagSource {
  /** this node's hostname (the deployed nodes' -headnode) */
  hostname: string;
  /** the daemon's start-up flag values, by key */
  flags: Readonly<Record<string, unknown>>;
  /** values changed at runtime that win over start-up ones (mesh degree, log level) */
  live?: Readonly<Record<string, unknown>>;
  /** where the mesh key is on the remote host, when this node has one */
  remoteMeshKey?: string;
  /** flag table (default: every registered flag) */
  defs?: FlagDef[];
}

const keyOf = (d: FlagDef) => d.key ?? d.name;

/** Default mode: `-name=value` for every forwarded flag, in name order, plus -nostdin=true. */
export function defaultFlagWords(src: FlagSource): string[] {
  const defs = [...(src.defs ?? allFlags())].sort((a, b) => (a.name < b.name ? -1 : 1));
  const words: string[] = [];
  const headnode = defs.find((d) => d.name === 'headnode');
  // -headnode only once the daemon implements it: giving an unbuilt flag is a start-up error
  if (headnode && !headnode.missing) words.push(`-headnode=${src.hostname}`);
  for (const d of defs) {
    if (NOT_FORWARDED.has(d.name) || d.missing) continue;
    const k = keyOf(d);
    const v = src.live?.[k] ?? src.flags[k] ?? d.default;
    words.push(`-${d.name}=${String(v)}`);
  }
  if (src.remoteMeshKey) words.push(`-meshkey=${src.remoteMeshKey}`);
  words.push('-nostdin=true');
  return words;
}

/**
 * Custom mode (`deploy flags <f>...`): the words as given, except that every
 * -nostdin word is replaced by one -nostdin=true at the end (the original's
 * substring test let `-nostdin=false` or `-logfile=/x/nostdin` through).
 */
export function customFlagWords(custom: readonly string[]): string[] {
  const isNostdin = (w: string) => /^--?nostdin(=.*)?$/.test(w);
  return [...custom.filter((w) => !isNostdin(w)), '-nostdin=true'];
}

/** The value of flag `name` in a word list (`-name=v`, `--name=v`, `-name v`), if present. */
export function flagValue(words: readonly string[], name: string): string | undefined {
  let found: string | undefined;
  for (let i = 0; i < words.length; i++) {
    const m = /^--?([^=]+)(?:=(.*))?$/.exec(words[i] ?? '');
    if (!m || m[1] !== name) continue;
    found = m[2] ?? words[i + 1] ?? '';
  }
  return found;
}

/** POSIX shell quoting of one word (for the remote login shell). */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}
