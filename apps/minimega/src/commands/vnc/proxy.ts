// The daemon's VNC proxy: `<base>/vnc.sock` (local clients such as miniweb)
// and mesh streams of protocol 'vnc/1' (another daemon relaying its client).
// A client sends one JSON line naming the VM; when the VM runs on another
// host the stream is relayed there over the mesh, so a browser never needs
// a route to any VNC port. On the VM's host the client's bytes pass an
// RFB-aware filter: view-only sessions lose every input message, and key and
// pointer events reach `vnc record kb`.
import { chmod, rm } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { z } from 'zod';
import { readLine, type VncAnswer, vncSocketPath } from '../../client/vnc.js';
import { findVncTarget } from './resolve.js';
import { type ClientMessage, RfbClientParser, VIEW_ONLY_KINDS } from './rfb-input.js';

export const VNC_STREAM_PROTOCOL = 'vnc/1';

export const VncRequestSchema = z.object({
  namespace: z.string().min(1).max(256),
  vm: z.string().min(1).max(256),
  host: z.string().max(256).optional(),
  viewOnly: z.boolean().optional(),
});
export type ParsedVncRequest = z.infer<typeof VncRequestSchema>;

/** The mesh as the proxy needs it (contract 1). */
export interface StreamMesh {
  openStream(host: string, protocol: string, opts?: { signal?: AbortSignal }): Promise<Duplex>;
}

export interface VncProxyOptions {
  base: string;
  hostname: string;
  /** the mesh, when meshage runs */
  mesh: () => StreamMesh | undefined;
  /** every client message of a session on this host (kb recording) */
  onInput?: (ns: string, vm: string, msg: ClientMessage) => void;
  log: (level: 'info' | 'warn', msg: string) => void;
}

function answer(stream: Duplex, a: VncAnswer): void {
  stream.write(`${JSON.stringify(a)}\n`);
}

/** Pipes two byte streams until either ends, tearing both down. */
function splice(a: Duplex, b: Duplex, filterAtoB?: (chunk: Buffer) => Buffer | undefined): void {
  const end = () => {
    a.destroy();
    b.destroy();
  };
  a.on('error', end).on('close', end);
  b.on('error', end).on('close', end);
  b.pipe(a);
  if (!filterAtoB) a.pipe(b);
  else
    a.on('data', (chunk: Buffer) => {
      let out: Buffer | undefined;
      try {
        out = filterAtoB(chunk);
      } catch {
        end();
        return;
      }
      if (out && out.length > 0 && !b.write(out)) {
        a.pause();
        b.once('drain', () => a.resume());
      }
    });
  a.resume();
}

export class VncProxy {
  #server: Server | undefined;
  readonly #streams = new Set<Duplex>();

  constructor(private readonly opts: VncProxyOptions) {}

  /** Serves one client (socket or mesh stream): header, then the RFB bytes. */
  async serve(client: Duplex, signal?: AbortSignal): Promise<void> {
    this.#streams.add(client);
    client.once('close', () => this.#streams.delete(client));
    client.on('error', () => {});
    let req: ParsedVncRequest;
    try {
      const line = await readLine(client, 4096, signal);
      const parsed = VncRequestSchema.safeParse(JSON.parse(line));
      if (!parsed.success) {
        throw new Error(
          `bad vnc request: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
        );
      }
      req = parsed.data;
    } catch (e) {
      answer(client, { ok: false, error: (e as Error).message });
      client.end();
      return;
    }
    try {
      if (req.host && req.host !== this.opts.hostname) await this.#relay(client, req, signal);
      else await this.#local(client, req);
    } catch (e) {
      this.opts.log('warn', `vnc ${req.namespace}/${req.vm}: ${(e as Error).message}`);
      if (!client.destroyed) {
        answer(client, { ok: false, error: (e as Error).message });
        client.end();
      }
    }
  }

  async #relay(client: Duplex, req: ParsedVncRequest, signal?: AbortSignal): Promise<void> {
    const mesh = this.opts.mesh();
    if (!mesh) throw new Error(`vm ${req.vm} is on ${req.host} and meshage is not running`);
    const remote = await mesh.openStream(req.host!, VNC_STREAM_PROTOCOL, signal ? { signal } : {});
    remote.on('error', () => {});
    // the remote host resolves the VM itself: no host in what we forward
    remote.write(
      `${JSON.stringify({ namespace: req.namespace, vm: req.vm, viewOnly: req.viewOnly ?? false })}\n`,
    );
    const line = await readLine(remote, 4096, signal);
    const a = JSON.parse(line) as VncAnswer;
    if (!a.ok) {
      remote.destroy();
      throw new Error(a.error);
    }
    answer(client, a);
    splice(client, remote);
  }

  async #local(client: Duplex, req: ParsedVncRequest): Promise<void> {
    const target = await findVncTarget(this.opts.base, req.namespace, req.vm);
    const vnc = await new Promise<Socket>((resolve, reject) => {
      const s = connect(target.socket);
      s.once('connect', () => resolve(s));
      s.once('error', (e) =>
        reject(
          new Error(
            `vm not running: ${req.vm} (${(e as NodeJS.ErrnoException).code ?? e.message})`,
          ),
        ),
      );
    });
    answer(client, { ok: true, host: this.opts.hostname });
    const parser = new RfbClientParser();
    const viewOnly = req.viewOnly ?? false;
    splice(client, vnc, (chunk) => {
      const msgs = parser.push(chunk);
      const keep: Buffer[] = [];
      for (const m of msgs) {
        if (m.kind !== 'handshake') this.opts.onInput?.(req.namespace, req.vm, m);
        if (!viewOnly || VIEW_ONLY_KINDS.has(m.kind)) keep.push(m.bytes);
      }
      return keep.length === 1 ? keep[0] : Buffer.concat(keep);
    });
  }

  /** Listens on `<base>/vnc.sock` (mode 0600: the same trust as the control socket). */
  async listen(): Promise<string> {
    const path = vncSocketPath(this.opts.base);
    await rm(path, { force: true });
    const server = createServer((s) => void this.serve(s));
    server.on('error', (e) => this.opts.log('warn', `vnc proxy: ${e.message}`));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    });
    await chmod(path, 0o600);
    this.#server = server;
    return path;
  }

  async close(): Promise<void> {
    for (const s of this.#streams) s.destroy();
    const server = this.#server;
    this.#server = undefined;
    if (server) await new Promise<void>((r) => server.close(() => r()));
    await rm(vncSocketPath(this.opts.base), { force: true });
  }
}
