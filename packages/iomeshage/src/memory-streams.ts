// Byte streams between meshes living in one process (tests, examples): each
// openStream is an in-memory duplex pair handed to the target's handler.
// `kill(name)` destroys every stream of a node, as a crashed process would.
import { type Duplex, duplexPair } from 'node:stream';
import { type Mesh, NoHandlerError, UnknownHostError } from '@mm/meshage';
import type { IomeshMesh, StreamContext } from './mesh-port.js';

type StreamHandler = (stream: Duplex, ctx: StreamContext) => void;

export interface MemoryStreams {
  /** add openStream/handleStream to an in-memory (or any) mesh node */
  attach(mesh: Mesh): IomeshMesh;
  /** destroy every open stream of `name` and refuse new ones (a crashed node) */
  kill(name: string): void;
}

export function createMemoryStreams(): MemoryStreams {
  const handlers = new Map<string, Map<string, StreamHandler>>();
  const open = new Map<string, Set<Duplex>>();
  const dead = new Set<string>();
  const track = (name: string, s: Duplex) => {
    const set = open.get(name) ?? new Set<Duplex>();
    open.set(name, set);
    set.add(s);
    s.once('close', () => set.delete(s));
  };
  return {
    attach(mesh) {
      const m = mesh as Mesh & Partial<IomeshMesh>;
      handlers.set(mesh.name, new Map());
      m.handleStream = (protocol, handler) => {
        handlers.get(mesh.name)?.set(protocol, handler);
        return () => handlers.get(mesh.name)?.delete(protocol);
      };
      m.openStream = async (host, protocol, opts) => {
        opts?.signal?.throwIfAborted();
        if (dead.has(mesh.name) || dead.has(host) || !mesh.nodes().includes(host)) {
          throw new UnknownHostError(host);
        }
        const h = handlers.get(host)?.get(protocol);
        if (!h) throw new NoHandlerError(host, protocol);
        const [a, b] = duplexPair();
        track(mesh.name, a);
        track(host, b);
        // a side that goes away closes the other, as a TCP reset would
        a.once('close', () => b.destroy());
        b.once('close', () => a.destroy());
        const ac = new AbortController();
        b.once('close', () => ac.abort());
        queueMicrotask(() => h(b, { from: mesh.name, signal: ac.signal }));
        return a;
      };
      return m as IomeshMesh;
    },
    kill(name) {
      dead.add(name);
      for (const s of open.get(name) ?? []) s.destroy(new Error(`${name} went away`));
    },
  };
}
