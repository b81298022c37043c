// One name rule set (issue 14 §4): the validators leaf packages keep (they
// cannot import @mm/cli-grammar) must agree with it on the shared table in
// test-support/name-cases.ts. Where one does not yet, the gap is listed here
// by its owner's package, so fixing it makes this test say "remove the gap".
import { nameProblem } from '@mm/cli-grammar';
import { nodeNameProblem } from '@mm/meshage';
import { validateNamespaceName } from '@mm/namespace';
import { checkIfName } from '@mm/ovs';
import { describe, expect, test } from 'vitest';
import { NAME_CASES, type NameCase } from '#test-support';

const accepts = (fn: (name: string) => unknown) => (name: string) => {
  try {
    return fn(name) === undefined;
  } catch {
    return false;
  }
};

const validators: Record<string, { kinds: NameCase['kind'][]; ok: (name: string) => boolean }> = {
  '@mm/meshage nodeNameProblem': { kinds: ['host'], ok: (n) => nodeNameProblem(n) === undefined },
  '@mm/namespace validateNamespaceName': {
    kinds: ['namespace'],
    ok: accepts(validateNamespaceName),
  },
  '@mm/ovs checkIfName': { kinds: ['tap', 'bridge'], ok: accepts((n) => checkIfName('tap', n)) },
};

/** Disagreements not fixed yet: `<validator>|<kind>|<name as JSON>`. */
const KNOWN_GAPS = new Set<string>([]);

describe('every validator agrees with the shared name rules', () => {
  test('@mm/cli-grammar nameProblem is the table', () => {
    for (const c of NAME_CASES)
      expect([c.kind, c.name, nameProblem(c.kind, c.name) === undefined]).toEqual([
        c.kind,
        c.name,
        c.ok,
      ]);
  });

  test.each(Object.keys(validators))('%s', (label) => {
    const v = validators[label] as (typeof validators)[string];
    const gaps: string[] = [];
    for (const c of NAME_CASES) {
      if (!v.kinds.includes(c.kind)) continue;
      if (v.ok(c.name) !== c.ok) gaps.push(`${label}|${c.kind}|${JSON.stringify(c.name)}`);
    }
    const known = [...KNOWN_GAPS].filter((g) => g.startsWith(`${label}|`));
    expect(gaps.sort()).toEqual(known.sort());
  });
});
