// Paths never leave the files directory; globs behave as Go's filepath.Glob.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { tempDir } from '#test-support';
import {
  cleanPath,
  cleanRel,
  glob,
  list,
  match,
  relOf,
  remove,
  validatePattern,
} from '../src/index.js';

const segment = fc.stringMatching(/^[a-z0-9._ -]{1,8}$/).filter((s) => s !== '.' && s !== '..');

describe('paths', () => {
  test('cleanRel strips leading slashes and resolves dots inside the base', () => {
    expect(cleanRel('/a/b')).toBe('a/b');
    expect(cleanRel('../../etc/passwd')).toBe('etc/passwd');
    expect(cleanRel('a/../../b')).toBe('b');
    expect(cleanRel('.')).toBe('');
    expect(cleanRel('/')).toBe('');
    expect(cleanRel('a//b/')).toBe('a/b');
  });

  test('property: no input escapes the base', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(segment, fc.constant('..'), fc.constant('.'), fc.constant('')), {
          maxLength: 8,
        }),
        (parts) => {
          const p = cleanPath('/srv/files', parts.join('/'));
          expect(relOf('/srv/files', p)).toBeDefined();
        },
      ),
    );
  });
});

describe('glob (Go path.Match)', () => {
  test.each([
    ['abc', 'abc', true],
    ['*', 'abc', true],
    ['*c', 'abc', true],
    ['a*', 'a/b', false],
    ['a*/b', 'abc/b', true],
    ['a?c', 'abc', true],
    ['a?c', 'a/c', false],
    ['[abc]', 'b', true],
    ['[^abc]', 'b', false],
    ['[a-c]x', 'bx', true],
    ['[c-a]', 'b', false],
    ['a\\*b', 'a*b', true],
    ['a\\*b', 'axb', false],
    ['[\\]]', ']', true],
    ['.*', '.hidden', true],
  ])('match(%s, %s) = %s', (p, n, want) => {
    expect(match(p, n)).toBe(want);
  });

  test.each(['[', '[]', '[a', 'a\\', '[-a]', '[a-]', '[]a]', 'x/[/y'])(
    '%s is a syntax error',
    (p) => {
      expect(() => validatePattern(p)).toThrow('syntax error in pattern');
    },
  );

  test('property: a literal name matches itself; escaped, every name matches itself only', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 12 }).filter((s) => !s.includes('/')),
        fc.string({ maxLength: 12 }),
        (name, other) => {
          const escaped = name.replace(/[*?[\\]/g, '\\$&');
          expect(match(escaped, name)).toBe(true);
          if (other !== name && !other.includes('/')) expect(match(escaped, other)).toBe(false);
          expect(match('*', name)).toBe(true);
          expect(match('?'.repeat([...name].length), name)).toBe(true);
        },
      ),
    );
  });

  test('property: glob on disk finds exactly the names match() accepts, never outside the base', async () => {
    await using d = await tempDir('mm-glob-');
    const names = ['a1', 'a2', 'b1', 'ab', '.x', 'c[1]'];
    for (const n of names) await writeFile(join(d.path, n), '');
    await mkdir(join(d.path, 'sub'));
    await writeFile(join(d.path, 'sub', 'a1'), '');
    await fc.assert(
      fc.asyncProperty(fc.stringMatching(/^(\.\.\/)?[ab*?.[\]^1-2-]{1,5}$/), async (pat) => {
        let ok = true;
        try {
          validatePattern(cleanRel(pat));
        } catch {
          ok = false;
        }
        if (!ok) {
          await expect(glob(d.path, pat)).rejects.toThrow('syntax error in pattern');
          return;
        }
        const got = (await glob(d.path, pat)).map((p) => relOf(d.path, p));
        const rel = cleanRel(pat);
        // '.', '..' and the like clean to the base itself
        const want = rel === '' ? [''] : [...names, 'sub'].filter((n) => match(rel, n)).sort();
        expect(got).toEqual(want);
      }),
      { numRuns: 200 },
    );
  });

  test('list: a file, a directory (children), recursive (every file below); delete / keeps the base', async () => {
    await using d = await tempDir('mm-list-');
    await mkdir(join(d.path, 'd/e'), { recursive: true });
    await writeFile(join(d.path, 'd/f'), 'x');
    await writeFile(join(d.path, 'd/e/g'), 'y');
    await mkdir(join(d.path, '.iomesh'));
    expect((await list(d.path, 'd')).map((e) => [e.rel, e.dir])).toEqual([
      ['d/e', true],
      ['d/f', false],
    ]);
    expect((await list(d.path, 'd', { recurse: true })).map((e) => e.rel)).toEqual([
      'd/e/g',
      'd/f',
    ]);
    expect((await list(d.path, '/')).map((e) => e.rel)).toEqual(['d']);
    expect(await list(d.path, 'missing*')).toEqual([]);
    await remove(d.path, '../..');
    expect((await list(d.path, '/')).map((e) => e.rel)).toEqual([]);
    // the base and the transfer work directory survive
    expect((await import('node:fs')).existsSync(join(d.path, '.iomesh'))).toBe(true);
  });
});
