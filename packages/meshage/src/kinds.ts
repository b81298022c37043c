// Message kinds: the typed channels upper layers (commands, files, VM
// launch) use over the mesh. A kind names a handler and optionally carries
// zod schemas; bodies are validated on arrival at the receiving node.
import type { z } from 'zod';

export interface MessageKind<Req, Res> {
  readonly name: string;
  readonly request?: z.ZodType<Req>;
  readonly response?: z.ZodType<Res>;
}

export function defineKind<Req = unknown, Res = unknown>(
  name: string,
  schemas: { request?: z.ZodType<Req>; response?: z.ZodType<Res> } = {},
): MessageKind<Req, Res> {
  return { name, ...schemas };
}
