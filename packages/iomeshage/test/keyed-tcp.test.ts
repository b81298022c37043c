// Transfers over a keyed mesh on real TCP: iomeshage's streams then run TLS
// 1.3 under a key from each stream's Noise handshake (meshage stream-tls.ts)
// and read decrypted data straight into pooled frames on both ends. Every
// byte still verifies against the source's hashes, on several receivers at once.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMesh, createTcpTransport, type Mesh } from '@mm/meshage';
import { spyTlsUpgrades, type TlsRole } from '@mm/meshage/testing';
import { afterEach, describe, expect, test } from 'vitest';
import { createIomeshage, type Iomeshage } from '../src/index.js';
import { until } from './support.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const key = Buffer.from('iomeshage keyed tcp test key, 32b');

describe('iomeshage over a keyed TCP mesh', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  test('files fetched by several nodes at once over TLS streams arrive byte for byte', async () => {
    const root = await mkdtemp(join(tmpdir(), 'mm-iomesh-keyed-'));
    cleanups.push(() => rm(root, { recursive: true, force: true }));
    const upgrades: TlsRole[] = [];
    const context = `keyed-${process.pid}-${Date.now()}`;
    const meshes: Mesh[] = [];
    for (const name of ['src', 'r1', 'r2']) {
      const m = await createMesh({
        name,
        transport: spyTlsUpgrades(
          createTcpTransport({ host: '127.0.0.1', port: 0, discoveryPort: false }),
          upgrades,
        ),
        key,
        context,
      });
      meshes.push(m);
      cleanups.push(() => m.close());
    }
    const [src, r1, r2] = meshes as [Mesh, Mesh, Mesh];
    await r1.dial(src.address);
    await r2.dial(src.address);
    await until('the mesh converged', () => meshes.every((m) => m.size() === 3));
    const io: Iomeshage[] = [];
    for (const m of meshes) {
      const x = await createIomeshage({ mesh: m, dir: join(root, m.name), partSize: 1024 * 1024 });
      io.push(x);
      cleanups.push(() => x.close());
    }
    // parts of several frames each, and a tail that is not a whole frame
    const big = randomBytes(9 * 1024 * 1024 + 4321);
    const small = randomBytes(70_001);
    await mkdir(join(root, 'src', 'img'), { recursive: true });
    await writeFile(join(root, 'src', 'img', 'big.img'), big);
    await writeFile(join(root, 'src', 'img', 'small'), small);
    const [, rio1, rio2] = io as [Iomeshage, Iomeshage, Iomeshage];
    await Promise.all([rio1.fetch('img'), rio2.fetch('img')]);
    for (const r of ['r1', 'r2']) {
      expect(sha(await readFile(join(root, r, 'img', 'big.img')))).toBe(sha(big));
      expect(sha(await readFile(join(root, r, 'img', 'small')))).toBe(sha(small));
    }
    // the data really went over TLS streams (mesh links stay on the Noise channel)
    expect(upgrades.filter((u) => u === 'client').length).toBeGreaterThan(0);
    expect(upgrades.filter((u) => u === 'server').length).toBe(
      upgrades.filter((u) => u === 'client').length,
    );
  }, 60_000);
});
