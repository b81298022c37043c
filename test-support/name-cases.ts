// The shared table of names (issue 14 §4): every validator of a kind of name
// (@mm/cli-grammar's nameProblem, and the copies in leaf packages that cannot
// import it) must accept and refuse exactly these. Add a row when a rule
// changes; each package's test runs the rows of the kinds it validates.
// (no @mm import: every package's tests load test-support, leaves included)

/** as @mm/cli-grammar's NameKind */
export type NameKind = 'host' | 'vm' | 'namespace' | 'tap' | 'bridge';

export interface NameCase {
  kind: NameKind;
  name: string;
  ok: boolean;
}

const long = (n: number) => 'a'.repeat(n);

const rows: [NameKind[], string, boolean][] = [
  // good everywhere
  [['host', 'vm', 'namespace', 'tap', 'bridge'], 'a', true],
  [['host', 'vm', 'namespace', 'tap', 'bridge'], 'mega_tap0', true],
  [['host', 'vm', 'namespace', 'tap', 'bridge'], 'kn-1.lab', true],
  // empty, NUL, control characters, whitespace: refused everywhere
  [['host', 'vm', 'namespace', 'tap', 'bridge'], '', false],
  [['host', 'vm', 'namespace', 'tap', 'bridge'], 'a\u0000b', false],
  [['host', 'vm', 'namespace', 'tap', 'bridge'], 'a\nb', false],
  [['host', 'vm', 'namespace', 'tap', 'bridge'], 'a b', false],
  [['host', 'vm', 'namespace', 'tap', 'bridge'], 'a\tb', false],
  [['host', 'vm', 'namespace', 'tap', 'bridge'], 'a\u007fb', false],
  // separators of host ranges and discovery
  [['host', 'vm', 'namespace', 'tap', 'bridge'], 'a,b', false],
  [['host', 'vm', 'namespace', 'tap', 'bridge'], 'kn[1-3]', false],
  [['host', 'vm', 'namespace', 'tap', 'bridge'], 'a:b', false],
  // path characters: fine in a host name, never in a VM, namespace or interface
  [['host'], 'a/b', true],
  [['vm', 'namespace', 'tap', 'bridge'], 'a/b', false],
  [['vm', 'namespace', 'tap', 'bridge'], '..', false],
  [['vm', 'namespace', 'tap', 'bridge'], '.', false],
  [['vm', 'namespace', 'tap', 'bridge'], 'ünïcode', false],
  [['host'], 'ünïcode', true],
  // lengths: 253 bytes for hosts, VMs and namespaces; 15 for interfaces
  [['host', 'vm', 'namespace'], long(253), true],
  [['host', 'vm', 'namespace'], long(254), false],
  [['tap', 'bridge'], long(15), true],
  [['tap', 'bridge'], long(16), false],
  // VM targets: `all` and integers are not names
  [['vm'], 'all', false],
  [['vm'], '42', false],
  [['vm'], '-1', false],
  [['host', 'namespace', 'tap', 'bridge'], 'all', true],
  [['vm'], 'vm42', true],
];

export const NAME_CASES: readonly NameCase[] = rows.flatMap(([kinds, name, ok]) =>
  kinds.map((kind) => ({ kind, name, ok })),
);
