// Incarnations tell a node from itself in the handshake: two meshes one
// process makes in the same millisecond must never share one.
import { expect, test } from 'vitest';
import { createMemoryNetwork, createMesh } from '../src/index.js';

test('meshes made at once in one process have distinct incarnations', async () => {
  const net = createMemoryNetwork();
  const meshes = await Promise.all(
    Array.from({ length: 300 }, (_, i) =>
      createMesh({ name: `n${i}`, transport: net.createTransport() }),
    ),
  );
  try {
    expect(new Set(meshes.map((m) => m.incarnation)).size).toBe(meshes.length);
  } finally {
    await Promise.all(meshes.map((m) => m.close()));
  }
});
