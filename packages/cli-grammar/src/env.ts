// Where `.env` reads and writes variables: the process environment by
// default, or a private map (tests, sandboxes).

/** The environment `.env` reads and writes. */
export interface EnvStore {
  get(name: string): string | undefined;
  set(name: string, value: string): void;
  unset(name: string): void;
  entries(): Array<[string, string]>;
}

export const processEnv: EnvStore = {
  get: (name) => process.env[name],
  set: (name, value) => {
    process.env[name] = value;
  },
  unset: (name) => {
    delete process.env[name];
  },
  entries: () =>
    Object.entries(process.env).flatMap(([k, v]) =>
      v === undefined ? [] : [[k, v] as [string, string]],
    ),
};

/** An EnvStore backed by a Map (tests, sandboxes). */
export function mapEnv(init: Record<string, string> = {}): EnvStore {
  const m = new Map(Object.entries(init));
  return {
    get: (name) => m.get(name),
    set: (name, value) => {
      m.set(name, value);
    },
    unset: (name) => {
      m.delete(name);
    },
    entries: () => [...m.entries()],
  };
}
