// The byte link under a control-socket session: a connected unix socket. Two
// implementations: Node's net.Socket (net-link.ts, everything but `-e`) and
// the pipe_wrap binding alone (pipe-link.ts, `-e`'s start-up path, which
// loads none of Node's net and stream modules). Both deliver the same events.

/** What a link reports, in this order: any number of `data`, at most one `error`, then `close`. */
export interface LinkEvents {
  data(chunk: Uint8Array): void;
  /** a socket error, errno name in `code` (ECONNRESET, EPIPE, ...) */
  error(e: NodeJS.ErrnoException): void;
  /** the link is gone: the peer closed it, it failed, or it was destroyed */
  close(): void;
}

export interface ClientLink {
  /** starts delivering events; called once, right after the link is made */
  listen(on: LinkEvents): void;
  write(text: string): void;
  /** ends the link, waiting (at most 500 ms) for the daemon to close its side */
  close(): Promise<void>;
  /** ends the link now */
  destroy(): void;
}
