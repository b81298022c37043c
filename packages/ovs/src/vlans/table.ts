// VLAN aliases and allocation (ovs-net.md §5): one table per daemon holding
// every namespace's aliases (`ns//value`), per-namespace ranges, and the
// blacklist of numbers used literally. Pure logic, no I/O.
import {
  AliasInUseError,
  EmptyVlanError,
  InvalidVlanError,
  InvalidVlanRangeError,
  OutOfVlansError,
  VlanInUseError,
  VlanRangeOverlapError,
} from './errors.js';

/** The namespace aliases of the default namespace are stored under. */
export const DEFAULT_VLAN_NAMESPACE = 'minimega';
/** Marks a VLAN used by number, never auto-allocated. */
export const BLACKLISTED = 'BLACKLISTED';
/** A disconnected NIC's VLAN. */
export const DISCONNECTED_VLAN = -1;
export const MAX_VLAN = 4096;

export interface Alias {
  namespace: string;
  value: string;
}

export interface VlanRange {
  min: number;
  /** exclusive */
  max: number;
  next: number;
}

export interface LookupResult {
  vlan: number;
  /** set when the lookup allocated a new alias (minimega then broadcasts it) */
  created?: Alias;
}

export function aliasKey(a: Alias): string {
  return `${a.namespace}//${a.value}`;
}

/** `ParseAlias`: `other//A` names another namespace's alias, `A` is in `ns`. */
export function parseAlias(ns: string, s: string): Alias {
  const i = s.indexOf('//');
  if (i >= 0) return { namespace: s.slice(0, i), value: s.slice(i + 2) };
  return { namespace: ns, value: s };
}

const INT = /^[+-]?\d+$/;

export interface VlanTableOptions {
  /** the default range, from `-vlanrange` (default [101, 4096)) */
  defaultRange?: { min: number; max: number };
}

/** Parses a `-vlanrange` flag value `MIN-MAX`. */
export function parseVlanRange(s: string): { min: number; max: number } {
  const m = /^(\d+)-(\d+)$/.exec(s.trim());
  if (!m) throw new TypeError(`invalid vlan range: ${s} (expected MIN-MAX)`);
  const min = Number(m[1]);
  const max = Number(m[2]);
  if (max <= min) throw new InvalidVlanRangeError(min, max);
  if (max > MAX_VLAN) throw new TypeError(`invalid vlan range: ${s} (max is ${MAX_VLAN})`);
  return { min, max };
}

export class VlanTable {
  readonly #byVlan = new Map<number, Alias>();
  readonly #byAlias = new Map<string, number>();
  /** prefix ('' = default) -> range */
  readonly #ranges = new Map<string, VlanRange>();
  #defaultRange: { min: number; max: number };

  constructor(opts: VlanTableOptions = {}) {
    this.#defaultRange = opts.defaultRange ?? { min: 101, max: MAX_VLAN };
    this.#resetDefault();
  }

  #resetDefault(): void {
    const { min, max } = this.#defaultRange;
    this.#ranges.set('', { min, max, next: min });
  }

  /** Resolves a VLAN word (`lookupVLAN`): a number (blacklisted when unaliased), an alias, or a new allocation. */
  lookup(ns: string, s: string): LookupResult {
    if (s === '') throw new EmptyVlanError();
    const alias = parseAlias(ns, s);
    if (INT.test(alias.value)) {
      const v = Number(alias.value);
      if (!(v >= 0 && v < MAX_VLAN)) throw new InvalidVlanError(s);
      if (!this.#byVlan.has(v)) this.blacklist(v);
      return { vlan: v };
    }
    if (alias.value === '') throw new EmptyVlanError();
    const existing = this.#byAlias.get(aliasKey(alias));
    if (existing !== undefined) return { vlan: existing };
    const vlan = this.#allocate(alias);
    return { vlan, created: alias };
  }

  /** The VLAN of an alias without allocating. */
  get(ns: string, s: string): number | undefined {
    return this.#byAlias.get(aliasKey(parseAlias(ns, s)));
  }

  #allocate(alias: Alias): number {
    const own = this.#ranges.get(alias.namespace);
    const r = own ?? this.#ranges.get('')!;
    const fromDefault = own === undefined;
    for (;;) {
      while (this.#byVlan.has(r.next)) r.next++;
      if (r.next >= r.max) throw new OutOfVlansError(alias.namespace);
      if (fromDefault) {
        // the default range never hands out numbers reserved by a namespace's range
        const inOther = [...this.#ranges].find(
          ([prefix, o]) => prefix !== '' && r.next >= o.min && r.next < o.max,
        );
        if (inOther) {
          r.next = inOther[1].max;
          continue;
        }
      }
      break;
    }
    const vlan = r.next++;
    this.#byVlan.set(vlan, alias);
    this.#byAlias.set(aliasKey(alias), vlan);
    return vlan;
  }

  /** `vlans add ALIAS VLAN` (also used for aliases broadcast by peers and recovery). */
  addAlias(ns: string, s: string, vlan: number): void {
    if (!Number.isInteger(vlan) || vlan < 0 || vlan >= MAX_VLAN)
      throw new InvalidVlanError(String(vlan));
    const alias = parseAlias(ns, s);
    if (alias.value === '') throw new EmptyVlanError();
    if (this.#byAlias.has(aliasKey(alias))) throw new AliasInUseError(aliasKey(alias));
    if (this.#byVlan.has(vlan)) throw new VlanInUseError(vlan);
    this.#byVlan.set(vlan, alias);
    this.#byAlias.set(aliasKey(alias), vlan);
  }

  /** The alias on `vlan` (undefined when none or blacklisted). */
  aliasOf(vlan: number): Alias | undefined {
    const a = this.#byVlan.get(vlan);
    if (!a || a.value === BLACKLISTED) return undefined;
    return a;
  }

  /** Aliases of namespace `ns`, value without prefix, sorted by value. */
  aliases(ns: string): { alias: string; vlan: number }[] {
    const out: { alias: string; vlan: number }[] = [];
    for (const [vlan, a] of this.#byVlan) {
      if (a.namespace === ns && a.value !== BLACKLISTED) out.push({ alias: a.value, vlan });
    }
    return out.sort((x, y) => (x.alias < y.alias ? -1 : x.alias > y.alias ? 1 : 0));
  }

  /** Every alias, fully qualified, sorted by VLAN (the `<base>/vlans` file). */
  allAliases(): { alias: string; vlan: number }[] {
    return [...this.#byVlan]
      .filter(([, a]) => a.value !== BLACKLISTED)
      .sort(([x], [y]) => x - y)
      .map(([vlan, a]) => ({ alias: aliasKey(a), vlan }));
  }

  /** `vlans blacklist V`: never auto-allocate V; an alias on V leaves the alias index. */
  blacklist(vlan: number): void {
    if (!Number.isInteger(vlan) || vlan < 0 || vlan >= MAX_VLAN)
      throw new InvalidVlanError(String(vlan));
    const old = this.#byVlan.get(vlan);
    if (old && old.value !== BLACKLISTED) this.#byAlias.delete(aliasKey(old));
    this.#byVlan.set(vlan, { namespace: '', value: BLACKLISTED });
  }

  blacklisted(): number[] {
    return [...this.#byVlan]
      .filter(([, a]) => a.value === BLACKLISTED)
      .map(([v]) => v)
      .sort((a, b) => a - b);
  }

  #prefix(ns: string): string {
    return ns === DEFAULT_VLAN_NAMESPACE ? '' : ns;
  }

  /** The range used by namespace `ns` (in `minimega`, the global default). */
  range(ns: string): VlanRange | undefined {
    const r = this.#ranges.get(this.#prefix(ns));
    return r ? { ...r } : undefined;
  }

  /** Ranges registered for namespaces (not the default), by namespace. */
  ranges(): Map<string, VlanRange> {
    const out = new Map<string, VlanRange>();
    for (const [p, r] of this.#ranges) if (p !== '') out.set(p, { ...r });
    return out;
  }

  /** `vlans range MIN MAX` for `ns` ([min, max)); in `minimega` it replaces the default range. */
  setRange(ns: string, min: number, max: number): void {
    if (!Number.isInteger(min) || !Number.isInteger(max)) {
      throw new InvalidVlanError(`${min}-${max}`);
    }
    if (max <= min) throw new InvalidVlanRangeError(min, max);
    if (min < 0 || max > MAX_VLAN) throw new InvalidVlanError(`${min}-${max}`);
    const prefix = this.#prefix(ns);
    for (const [p, r] of this.#ranges) {
      if (p === '' || p === prefix) continue;
      if (min < r.max && r.min <= max) throw new VlanRangeOverlapError(p);
    }
    this.#ranges.set(prefix, { min, max, next: min });
  }

  /**
   * `clear vlans [prefix]` in `ns`: deletes the namespace's aliases (those
   * whose value starts with prefix); without a prefix also its range. Every
   * range's next then restarts at its min.
   */
  clear(ns: string, prefix?: string): void {
    for (const [vlan, a] of [...this.#byVlan]) {
      if (a.namespace !== ns || a.value === BLACKLISTED) continue;
      if (prefix !== undefined && !a.value.startsWith(prefix)) continue;
      this.#byVlan.delete(vlan);
      this.#byAlias.delete(aliasKey(a));
    }
    if (prefix === undefined && this.#prefix(ns) !== '') this.#ranges.delete(ns);
    for (const r of this.#ranges.values()) r.next = r.min;
  }

  /**
   * `clear vlans all`: a fresh table. Unlike minimega (ovs-net.md §7.5) the
   * default range returns to the configured `-vlanrange`, not 101-4096.
   */
  clearAll(): void {
    this.#byVlan.clear();
    this.#byAlias.clear();
    this.#ranges.clear();
    this.#resetDefault();
  }

  /** `clear namespace X`: frees X's aliases and range. */
  deleteNamespace(ns: string): void {
    this.clear(ns);
  }

  /** Sets the default range (the `-vlanrange` flag); also used by `clear vlans all`. */
  setDefaultRange(min: number, max: number): void {
    if (max <= min) throw new InvalidVlanRangeError(min, max);
    this.#defaultRange = { min, max };
    this.#resetDefault();
  }

  /** `PrintVLAN`: `A (102)` in A's namespace, `other//A (102)` elsewhere, else the number. */
  print(ns: string, vlan: number): string {
    const a = this.aliasOf(vlan);
    if (!a) return String(vlan);
    return a.namespace === ns ? `${a.value} (${vlan})` : `${aliasKey(a)} (${vlan})`;
  }

  /** The alias word without the number (`A`, `other//A`, or the number). */
  printAlias(ns: string, vlan: number): string {
    const a = this.aliasOf(vlan);
    if (!a) return String(vlan);
    return a.namespace === ns ? a.value : aliasKey(a);
  }
}
