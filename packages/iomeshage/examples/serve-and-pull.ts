// Two nodes on an in-memory mesh: `a` serves a directory, `b` pulls a file.
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryNetwork, createMesh } from '@mm/meshage';
import { createIomeshage } from '../src/index.js';

export async function main(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'iomesh-demo-'));
  const net = createMemoryNetwork();
  const a = await createMesh({ name: 'a', transport: net.createTransport('a'), degree: 1 });
  const b = await createMesh({ name: 'b', transport: net.createTransport('b'), degree: 1 });
  while (b.size() < 2) await new Promise((r) => setTimeout(r, 10));

  // every node serves its own files directory and pulls from the others
  const ioA = await createIomeshage({ mesh: a, dir: join(root, 'a') });
  const ioB = await createIomeshage({ mesh: b, dir: join(root, 'b') });
  await writeFile(join(root, 'a', 'hello.txt'), 'hello from a\n');

  // fetch = get + wait: parts verified against the content hash, then renamed into place
  const path = await ioB.fetch('hello.txt', {
    onProgress: (p) => console.log(`${p.name}: ${p.parts}/${p.totalParts} parts`),
  });
  const text = await readFile(path, 'utf8');

  await Promise.all([ioA.close(), ioB.close()]);
  await Promise.all([a.close(), b.close()]);
  return text;
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await main());
