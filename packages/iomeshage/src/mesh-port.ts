// What iomeshage needs from a mesh: the typed RPC of @mm/meshage for control
// messages and the byte-stream API (contract 1: `openStream`/`handleStream`)
// for bulk data. A `Mesh` from @mm/meshage satisfies it structurally.
import type { Duplex } from 'node:stream';
import type { Mesh } from '@mm/meshage';

export interface StreamContext {
  from: string;
  signal: AbortSignal;
}

export interface StreamMesh {
  /** a reliable ordered byte stream to `host` for `protocol` (a direct link between the two nodes) */
  openStream(host: string, protocol: string, opts?: { signal?: AbortSignal }): Promise<Duplex>;
  /** serve incoming streams of `protocol`; returns an unregister function */
  handleStream(protocol: string, handler: (stream: Duplex, ctx: StreamContext) => void): () => void;
}

export type IomeshMesh = Pick<Mesh, 'name' | 'nodes' | 'handle' | 'send' | 'broadcast'> &
  StreamMesh;
