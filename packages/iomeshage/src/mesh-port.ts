// What iomeshage needs from a mesh: the typed RPC of @mm/meshage for control
// messages and its byte streams (`openStream`/`handleStream`) for bulk data.
import type { Mesh } from '@mm/meshage';

export type { StreamContext } from '@mm/meshage';

export type StreamMesh = Pick<Mesh, 'openStream' | 'handleStream'>;

export type IomeshMesh = Pick<
  Mesh,
  'name' | 'nodes' | 'handle' | 'send' | 'broadcast' | 'openStream' | 'handleStream'
>;
