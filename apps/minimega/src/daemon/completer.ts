// The daemon-level completer (minicli.md §9): grammar suggestions first, then
// $VARs, then local paths. Candidates are whole lines.
import { readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { DaemonCore } from './core.js';

function splitLast(line: string): { head: string; word: string; partial: boolean } {
  if (line === '' || /\s$/.test(line)) return { head: line, word: '', partial: false };
  const m = /^(.*\s)?(\S*)$/s.exec(line);
  return { head: m?.[1] ?? '', word: m?.[2] ?? line, partial: true };
}

async function listDir(dir: string): Promise<{ name: string; dir: boolean }[]> {
  try {
    const ents = await readdir(dir, { withFileTypes: true });
    return ents.map((e) => ({ name: e.name, dir: e.isDirectory() }));
  } catch {
    return [];
  }
}

async function completePath(word: string): Promise<string[]> {
  const dir = word.endsWith('/') ? word : dirname(word);
  const prefix = word.endsWith('/') ? '' : basename(word);
  const shown = word.endsWith('/')
    ? word
    : dir === '.' && !word.startsWith('./')
      ? ''
      : `${dir.replace(/\/$/, '')}/`;
  const ents = await listDir(dir === '' ? '.' : dir);
  return ents
    .filter((e) => e.name.startsWith(prefix))
    .map((e) => `${shown}${e.name}${e.dir ? '/' : ''}`)
    .sort();
}

export async function completeLine(core: DaemonCore, line: string): Promise<string[]> {
  const { head, word, partial } = splitLast(line);
  let grammar: string[] = [];
  try {
    grammar = await core.cli.suggest(line);
  } catch {
    grammar = [];
  }
  const finish = (cands: string[]) =>
    [...new Set(cands)].sort().map((s) => `${head}${s}${s.endsWith('/') ? '' : ' '}`);
  if (grammar.length > 0) return finish(grammar);
  if (partial) {
    if (word.startsWith('$')) {
      const p = word.slice(1);
      return finish(
        core.cli.env
          .entries()
          .map(([k]) => k)
          .filter((k) => k.startsWith(p))
          .map((k) => `$${k}`),
      );
    }
    if (word.startsWith('file:')) {
      const rel = word.slice(5);
      // files on every node of the mesh (iomeshage.md §8), when transfers run
      const meshWide = await core.services.files?.complete?.(rel).catch(() => undefined);
      if (meshWide) return finish(meshWide.map((f) => `file:${f}`));
      const found = await completePath(
        join(core.flags.filepath, rel) + (rel.endsWith('/') ? '/' : ''),
      );
      const base = core.flags.filepath.replace(/\/$/, '') + '/';
      return finish(found.map((f) => `file:${f.startsWith(base) ? f.slice(base.length) : f}`));
    }
    return finish(await completePath(word));
  }
  // nothing typed yet for this word: what the file server holds
  const ents = await listDir(core.flags.filepath);
  return finish(ents.map((e) => `${e.name}${e.dir ? '/' : ''}`));
}
