// http(s):// downloads into the files directory: into a temporary file under
// the work directory, resumed with a Range request after an interruption,
// renamed into place only when complete. The HTTP status is checked (minimega
// wrote error pages and partial files under the real name).
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream } from 'node:stream/web';
import { WORK_DIR } from '@mm/iomeshage';
import { percent, rate } from './format.js';

export class DownloadError extends Error {
  readonly code = 'ERR_DOWNLOAD' as const;
}

export async function download(
  url: URL,
  dest: string,
  o: { base: string; signal?: AbortSignal; status?: (msg: string) => void },
): Promise<void> {
  const work = join(o.base, WORK_DIR);
  await mkdir(work, { recursive: true, mode: 0o755 });
  const tmp = join(
    work,
    `http-${createHash('sha256').update(url.href).digest('hex').slice(0, 24)}.part`,
  );
  const have = await stat(tmp).then(
    (s) => s.size,
    () => 0,
  );
  let res: Response;
  try {
    res = await fetch(url, {
      headers: have > 0 ? { range: `bytes=${have}-` } : {},
      ...(o.signal ? { signal: o.signal } : {}),
    });
  } catch (e) {
    const cause = (e as { cause?: { message?: string } }).cause?.message;
    throw new DownloadError(`get ${url.href}: ${cause ?? (e as Error).message}`);
  }
  if (!res.ok || !res.body) {
    throw new DownloadError(`get ${url.href}: HTTP ${res.status} ${res.statusText}`.trim());
  }
  const resumed = res.status === 206;
  const total = Number(res.headers.get('content-length') ?? '0') + (resumed ? have : 0);
  let got = resumed ? have : 0;
  const started = Date.now();
  let lastNote = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      got += chunk.length;
      const now = Date.now();
      if (o.status && now - lastNote > 2000) {
        lastNote = now;
        const r = (got - (resumed ? have : 0)) / Math.max(0.001, (now - started) / 1000);
        o.status(
          `downloading ${url.href}: ${total ? percent(got, total) : `${got} bytes`} (${rate(r)})`,
        );
      }
      cb(null, chunk);
    },
  });
  try {
    await pipeline(
      Readable.fromWeb(res.body as ReadableStream),
      meter,
      createWriteStream(tmp, { flags: resumed ? 'a' : 'w' }),
    );
  } catch (e) {
    // what arrived stays in the work directory: the next try asks for the rest
    const cause = (e as { cause?: { message?: string } }).cause?.message;
    throw new DownloadError(
      `get ${url.href}: interrupted after ${got} of ${total || '?'} bytes (${cause ?? (e as Error).message}); run it again to resume`,
    );
  }
  if (total && got !== total) {
    throw new DownloadError(`get ${url.href}: got ${got} of ${total} bytes (resumable: try again)`);
  }
  await mkdir(dirname(dest), { recursive: true, mode: 0o755 });
  try {
    await rename(tmp, dest);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}
