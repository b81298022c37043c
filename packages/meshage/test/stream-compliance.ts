// The Stream API contract (openStream/handleStream) on every transport:
// each transport's test file runs this suite with a few lines of setup.
import { createHash, randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, test } from 'vitest';
import { createMesh, type Mesh, type MeshOptions, type Transport } from '../src/index.js';
import { STREAM_WINDOW } from '../src/streams.js';
import { uniqueContext, until } from './util.js';

export interface StreamSetup {
  make(): Transport;
  cleanup?(): Promise<void>;
}

const key = Buffer.from('stream key, at least sixteen bytes');

/** everything the stream's readable side delivers (not `for await`: that destroys a Duplex at the end) */
function readAll(s: Duplex): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    s.on('data', (c: Buffer) => parts.push(c));
    s.once('end', () => resolve(Buffer.concat(parts)));
    s.once('error', reject);
    s.resume();
  });
}

export function streamCompliance(name: string, setup: () => StreamSetup): void {
  describe(`stream compliance: ${name}`, () => {
    let s: StreamSetup | undefined;
    const nodes: Mesh[] = [];
    const fast: Partial<MeshOptions> = { heartbeatMs: 100, deadAfterMs: 1500 };

    afterEach(async () => {
      await Promise.all(nodes.splice(0).map((m) => m.close()));
      await s?.cleanup?.();
      s = undefined;
    });

    /** a line a - b - c (a reaches c through b on the mesh) */
    async function line(extra: Partial<MeshOptions> = {}): Promise<Mesh[]> {
      s ??= setup();
      const context = uniqueContext();
      const ms: Mesh[] = [];
      for (const n of ['a', 'b', 'c']) {
        const m = await createMesh({ name: n, transport: s.make(), context, ...fast, ...extra });
        nodes.push(m);
        ms.push(m);
      }
      await ms[1]?.dial((ms[0] as Mesh).address);
      await ms[2]?.dial((ms[1] as Mesh).address);
      await until('line converged', () => ms.every((m) => m.size() === 3));
      return ms;
    }

    for (const keyed of [false, true]) {
      test(`echo of 3 MiB to a node two hops away, both directions end cleanly (${keyed ? 'private' : 'clear'})`, async () => {
        const [a, , c] = (await line(keyed ? { key } : {})) as [Mesh, Mesh, Mesh];
        const from: string[] = [];
        c.handleStream('echo/1', (stream, ctx) => {
          from.push(ctx.from);
          stream.pipe(stream);
        });
        const reqBefore = a.stats().sent.req;
        const st = await a.openStream('c', 'echo/1');
        const data = randomBytes(3 * 1024 * 1024 + 17);
        const back = readAll(st);
        st.end(data);
        expect((await back).equals(data)).toBe(true);
        expect(from).toEqual(['a']);
        // the data did not travel as mesh requests (one small lookup at most)
        expect(a.stats().sent.req - reqBefore).toBeLessThanOrEqual(1);
      });
    }

    test('half-close: the opener ends, the handler answers after reading everything', async () => {
      const [a, , c] = (await line()) as [Mesh, Mesh, Mesh];
      c.handleStream('count/1', async (stream) => {
        const got = await readAll(stream);
        stream.end(`got ${got.length}`);
      });
      const st = await a.openStream('c', 'count/1');
      st.end(Buffer.alloc(100_000, 7));
      expect((await readAll(st)).toString()).toBe('got 100000');
    });

    for (const keyed of [false, true]) {
      test(`a writer may reuse its buffer once the write callback ran; several windows arrive intact (${keyed ? 'private' : 'clear'})`, async () => {
        const [a, b] = (await line(keyed ? { key } : {})) as [Mesh, Mesh, Mesh];
        b.handleStream('sum/1', (stream) => {
          void readAll(stream).then((d) =>
            stream.end(createHash('sha256').update(d).digest('hex')),
          );
        });
        const st = await a.openStream('b', 'sum/1');
        const back = readAll(st);
        const buf = Buffer.alloc(1024 * 1024 + 13);
        const want = createHash('sha256');
        for (let i = 0; i < 3 * (STREAM_WINDOW / (1024 * 1024)); i++) {
          buf.fill(i + 1);
          want.update(buf);
          await new Promise((r) => st.write(buf, r));
        }
        st.end();
        expect((await back).toString()).toBe(want.digest('hex'));
      });
    }

    test('the frames of a large write are whole pages but its last, also where the window ran out', async () => {
      const [a, b] = (await line()) as [Mesh, Mesh, Mesh];
      const payload = randomBytes(2 * STREAM_WINDOW);
      b.handleStream('pages/1', (stream) => {
        // a small write first: the window runs out 30 bytes into a page of the next
        stream.write(Buffer.alloc(30, 1));
        stream.end(payload);
      });
      const st = await a.openStream('b', 'pages/1');
      const sizes: number[] = [];
      st.on('data', (c: Buffer) => sizes.push(c.length));
      const got = await readAll(st);
      expect(got.subarray(30).equals(payload)).toBe(true);
      expect(sizes[0]).toBe(30);
      const body = sizes.slice(1);
      expect(body.reduce((n, x) => n + x, 0)).toBe(payload.length);
      expect(body.slice(0, -1).filter((n) => n % 4096 !== 0)).toEqual([]);
    });

    test('a reader that stops and starts gets no crumbs: a sliver of credit waits for the next grant', async () => {
      const [a, b] = (await line()) as [Mesh, Mesh, Mesh];
      const payload = randomBytes(3 * STREAM_WINDOW);
      b.handleStream('crumbs/1', (stream) => {
        stream.write(Buffer.alloc(30, 1));
        stream.end(payload);
      });
      const st = await a.openStream('b', 'crumbs/1');
      const sizes: number[] = [];
      const parts: Buffer[] = [];
      // paused after every chunk and resumed a moment later: credit comes back in small grants
      st.on('data', (c: Buffer) => {
        sizes.push(c.length);
        parts.push(Buffer.from(c));
        st.pause();
        setTimeout(() => st.resume(), 1);
      });
      await new Promise((r) => st.once('end', r));
      expect(Buffer.concat(parts).subarray(30).equals(payload)).toBe(true);
      const body = sizes.slice(1, -1);
      expect(body.filter((n) => n < 64 * 1024)).toEqual([]);
    });

    test('a slow reader holds the writer back (bounded buffering)', async () => {
      const [a, b] = (await line()) as [Mesh, Mesh, Mesh];
      let server: Duplex | undefined;
      b.handleStream('slow/1', (stream) => {
        server = stream;
        stream.pause();
      });
      const st = await a.openStream('b', 'slow/1');
      let acked = 0;
      const chunk = Buffer.alloc(64 * 1024);
      for (let i = 0; i < 128; i++) st.write(chunk, () => (acked += chunk.length));
      await new Promise((r) => setTimeout(r, 300));
      // 8 MiB written, the reader reads nothing: at most one window got through
      expect(acked).toBeLessThanOrEqual(STREAM_WINDOW + chunk.length);
      st.end();
      const got = await readAll(server as Duplex);
      expect(got.length).toBe(128 * chunk.length);
    });

    test('errors: unknown host, self, no handler, aborted, bad protocol name', async () => {
      const [a, , c] = (await line({ key })) as [Mesh, Mesh, Mesh];
      await expect(a.openStream('nope', 'x/1')).rejects.toMatchObject({
        code: 'ERR_MESH_UNKNOWN_HOST',
      });
      await expect(a.openStream('a', 'x/1')).rejects.toMatchObject({ code: 'ERR_MESH_SELF' });
      await expect(a.openStream('c', 'x/1')).rejects.toMatchObject({
        code: 'ERR_MESH_NO_HANDLER',
        message: expect.stringContaining('x/1'),
      });
      const ac = new AbortController();
      ac.abort();
      await expect(a.openStream('c', 'x/1', { signal: ac.signal })).rejects.toMatchObject({
        code: 'ERR_MESH_ABORTED',
      });
      await expect(a.openStream('c', 'bad name')).rejects.toMatchObject({
        code: 'ERR_MESH_OPTION',
      });
      const off = c.handleStream('x/1', (st) => st.end('hi'));
      expect(() => c.handleStream('x/1', () => {})).toThrowError(
        expect.objectContaining({ code: 'ERR_MESH_OPTION' }),
      );
      expect((await readAll(await a.openStream('c', 'x/1'))).toString()).toBe('hi');
      off();
      await expect(a.openStream('c', 'x/1')).rejects.toMatchObject({ code: 'ERR_MESH_NO_HANDLER' });
    });

    test('the handler side going away errors the opener’s stream (typed), and the node keeps serving', async () => {
      const [a, , c] = (await line()) as [Mesh, Mesh, Mesh];
      c.handleStream('die/1', (stream) => {
        stream.once('data', () => stream.destroy(new Error('handler gave up')));
      });
      const st = await a.openStream('c', 'die/1');
      const err = new Promise<Error>((r) => st.once('error', r));
      st.write('hello');
      expect(await err).toMatchObject({ code: 'ERR_MESH_STREAM_RESET' });
      c.handleStream('ok/1', (stream) => stream.end('fine'));
      expect((await readAll(await a.openStream('c', 'ok/1'))).toString()).toBe('fine');
    });
  });
}
