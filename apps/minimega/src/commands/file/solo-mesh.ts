// A mesh of one for iomeshage when meshage could not start: no other node
// holds anything, so gets find only local files.
import type { IomeshMesh } from '@mm/iomeshage';
import { UnknownHostError } from '@mm/meshage';

export function soloMesh(name: string): IomeshMesh {
  return {
    name,
    nodes: () => [name],
    handle: () => () => {},
    send: async (hosts) =>
      hosts.map((host) => ({ host, ok: false as const, error: new UnknownHostError(host) })),
    broadcast: async () => [],
    openStream: async (host) => {
      throw new UnknownHostError(host);
    },
    handleStream: () => () => {},
  };
}
