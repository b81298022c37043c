// The shared name rules (src/names.ts) against the shared table.
import { checkName, InvalidNameError, nameProblem, nameSchema } from '@mm/cli-grammar';
import { describe, expect, test } from 'vitest';
import { NAME_CASES } from '#test-support';

describe('name rules', () => {
  test.each(
    NAME_CASES.map((c) => [c.kind, JSON.stringify(c.name).slice(0, 40), c.ok, c.name] as const),
  )('%s %s ok=%s', (kind, _shown, ok, name) => {
    expect(nameProblem(kind, name) === undefined).toBe(ok);
    expect(nameSchema(kind).safeParse(name).success).toBe(ok);
  });

  test('checkName throws a typed error naming kind, value and reason', () => {
    expect(checkName('vm', 'web1')).toBe('web1');
    const e = (() => {
      try {
        checkName('vm', 'all');
      } catch (err) {
        return err;
      }
    })();
    expect(e).toBeInstanceOf(InvalidNameError);
    expect(e).toMatchObject({ code: 'ERR_INVALID_NAME', kind: 'vm', value: 'all' });
    expect((e as Error).message).toBe('invalid vm name "all": `all` is a reserved word');
    expect(() => checkName('tap', 'a'.repeat(16))).toThrow(
      'invalid tap name "aaaaaaaaaaaaaaaa": longer than 15 bytes',
    );
  });
});
