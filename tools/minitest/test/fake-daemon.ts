// A fake daemon for runner tests: answers each command from a table of
// canned replies (and records what it was sent).
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface CannedReply {
  Resp: { Host: string; Response: string; Error: string }[] | null;
  Rendered: string;
  More: boolean;
  Status: boolean;
}

export const simple = (rendered: string, errors: string[] = [], more = false): CannedReply => ({
  Resp: [
    { Host: 'h', Response: rendered, Error: '' },
    ...errors.map((e) => ({ Host: 'h', Response: '', Error: e })),
  ],
  Rendered: rendered,
  More: more,
  Status: false,
});

export async function fakeDaemon(answer: (cmd: string) => CannedReply[]) {
  const dir = await mkdtemp(join(tmpdir(), `mm-minitest-t${process.pid}-`));
  const socket = join(dir, 'minimega');
  const received: string[] = [];
  let connections = 0;
  const server = createServer((s) => {
    connections++;
    let buf = '';
    s.on('data', (d) => {
      buf += d.toString();
      let nl = buf.indexOf('\n');
      while (nl >= 0) {
        const req = JSON.parse(buf.slice(0, nl)) as { Command: string };
        buf = buf.slice(nl + 1);
        received.push(req.Command);
        for (const r of answer(req.Command)) s.write(`${JSON.stringify(r)}\n`);
        nl = buf.indexOf('\n');
      }
    });
    s.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(socket, () => r()));
  return {
    socket,
    dir,
    received,
    /** connections accepted so far */
    get connections() {
      return connections;
    },
    async [Symbol.asyncDispose]() {
      await new Promise<void>((r) => server.close(() => r()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
