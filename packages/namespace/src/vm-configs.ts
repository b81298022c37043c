// A namespace's `vm config`: the current configuration the next `vm launch`
// uses, and the named copies `vm config save/restore/clone` keep
// (namespace.md: "saved configs" are namespace state). Every copy in and
// out is deep, so editing the current config never changes a saved one.
import { cloneVmConfig, defaultVmConfig, type VmConfig } from '@mm/qemu';
import { UnknownVmConfigError } from './errors.js';

export interface NamespaceVmConfigs {
  /** the current `vm config`; field setters edit it in place */
  readonly current: VmConfig;
  /** `clear vm config`: the current config back to the defaults */
  reset(): void;
  /** the current config becomes a copy of `config` (`vm config clone`) */
  replace(config: VmConfig): void;
  /** `vm config save NAME`: keep a copy of the current config (replaces one of that name) */
  save(name: string): void;
  /** `vm config restore NAME`: the current config becomes a copy of the saved one */
  restore(name: string): void;
  /** a copy of the saved config `name` (`vm launch kvm X NAME`) */
  saved(name: string): VmConfig;
  /** names of the saved configs, in the order first saved */
  savedNames(): string[];
  /** `clear all`: defaults and no saved configs */
  clear(): void;
}

export function createNamespaceVmConfigs(): NamespaceVmConfigs {
  let current = defaultVmConfig();
  const saved = new Map<string, VmConfig>();
  const get = (name: string): VmConfig => {
    const c = saved.get(name);
    if (!c) throw new UnknownVmConfigError(name);
    return cloneVmConfig(c);
  };
  return {
    get current() {
      return current;
    },
    reset() {
      current = defaultVmConfig();
    },
    replace(config) {
      current = cloneVmConfig(config);
    },
    save(name) {
      saved.set(name, cloneVmConfig(current));
    },
    restore(name) {
      current = get(name);
    },
    saved: get,
    savedNames: () => [...saved.keys()],
    clear() {
      current = defaultVmConfig();
      saved.clear();
    },
  };
}
