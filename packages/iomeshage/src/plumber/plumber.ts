// The plumber (minimega's miniplumber, one node): named pipes that deliver
// newline-separated messages to their readers by mode, through an optional
// "via" program per reader, and pipelines that connect pipes and external
// programs (`plumb`). Delivery between pipes is synchronous, so a write has
// reached every pipe downstream (up to the first program or via) when
// write() returns; a cycle of pipes is cut after MAX_HOPS with an error
// logged instead of spinning forever.
import { execa } from 'execa';
import {
  EmptyPipelineError,
  NoSuchPipeError,
  NoSuchPipelineError,
  PipeHasWritersError,
  PipelineExistsError,
} from './errors.js';
import { Pipe, type PipeInfo, type PipeMode, type PipeReader, type PipeSink } from './pipe.js';
import { Pipeline } from './pipeline.js';

/** Pipe-to-pipe hops one write may take before it is dropped as a loop. */
export const MAX_HOPS = 64;

export type PlumberLogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface PlumberOptions {
  /** is this pipeline stage word an external program (in $PATH)? otherwise it names a pipe */
  isProgram(word: string): boolean;
  log?: (level: PlumberLogLevel, msg: string) => void;
  /**
   * Hands a write on to the other nodes (minimega broadcasts each write over
   * the mesh; they call deliver()). Called for writes delivered in mode
   * `all`; round-robin and random choose among this node's readers only.
   */
  forward?: (pipe: string, value: string) => void;
  /** for tests: the random source of mode `random` */
  random?: () => number;
}

/** Selects pipes or pipelines by name (e.g. those of one namespace). */
export type NameFilter = (name: string) => boolean;

export interface Plumber {
  /** Starts a pipeline of two or more stages (pipe names or program lines). */
  plumb(production: readonly string[]): void;
  /** Pipeline names (their stages joined by spaces), sorted. */
  pipelines(filter?: NameFilter): string[];
  deletePipeline(production: readonly string[]): void;
  deleteAllPipelines(filter?: NameFilter): void;
  /** Writes one message to `pipe` (created if new); resolves once delivered here. */
  write(pipe: string, value: string): Promise<void>;
  /**
   * A write another node forwarded: delivered to every reader of `pipe` here
   * when the pipe exists here, and not forwarded again.
   */
  deliver(pipe: string, value: string): Promise<void>;
  setMode(pipe: string, mode: PipeMode): void;
  setLog(pipe: string, on: boolean): void;
  /** The via program (words) every message passes through per reader; [] = none. */
  setVia(pipe: string, command: readonly string[]): void;
  /** Pipes sorted by name. */
  pipes(filter?: NameFilter): PipeInfo[];
  deletePipe(pipe: string): void;
  /** Deletes every (matching) pipe without writers; throws naming the ones left. */
  deleteAllPipes(filter?: NameFilter): void;
  /** Reads `pipe` (created if new) until close() or the pipe is deleted. */
  read(pipe: string, sink: PipeSink, onClose?: () => void): { close(): void };
  /** Ends every pipeline and waits for their programs to exit. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export function createPlumber(opts: PlumberOptions): Plumber {
  const log = opts.log ?? (() => {});
  const random = opts.random ?? Math.random;
  const pipes = new Map<string, Pipe>();
  const pipelines = new Map<string, Pipeline>();
  let nextReader = 1;
  let depth = 0;

  const pipeOf = (name: string): Pipe => {
    let p = pipes.get(name);
    if (!p) {
      p = new Pipe(name);
      pipes.set(name, p);
    }
    return p;
  };

  const withNewline = (v: string) => (v.endsWith('\n') ? v : `${v}\n`);

  const hand = (p: Pipe, r: PipeReader, value: string) => {
    if (depth >= MAX_HOPS) {
      log(
        'error',
        `pipe ${p.name}: message dropped after ${MAX_HOPS} hops (pipelines form a loop)`,
      );
      return;
    }
    depth++;
    try {
      r.sink(value);
    } catch (err) {
      log('error', `pipe ${p.name}: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      depth--;
    }
  };

  const runVia = async (via: readonly string[], value: string): Promise<string> => {
    const [file, ...args] = via as [string, ...string[]];
    const r = await execa(file, args, { input: value, stripFinalNewline: false, reject: false });
    if (r.failed) throw new Error(`via ${via.join(' ')}: ${r.shortMessage}: ${String(r.stderr)}`);
    return withNewline(String(r.stdout));
  };

  /** Delivers one message written to `p` (minimega's schedule + write). */
  const send = (p: Pipe, raw: string, forwarded = false): Promise<void> => {
    const value = withNewline(raw);
    const to = forwarded ? 'all' : p.schedule(random);
    if (!forwarded && to === 'all' && p.mode === 'all') opts.forward?.(p.name, value);
    const targets = to === 'all' ? [...p.readers.values()] : [p.readers.get(to)].filter((r) => !!r);
    if (to === 'all' || targets.length > 0) p.last = value;
    p.count++;
    if (p.log) log('info', `pipe ${p.name}: ${value.trim()}`);
    if (p.via.length === 0) {
      for (const r of targets) hand(p, r, value);
      return Promise.resolve();
    }
    const via = p.via;
    p.chain = p.chain.then(async () => {
      for (const r of targets) {
        try {
          const out = await runVia(via, value);
          if (p.readers.get(r.id) === r) hand(p, r, out);
        } catch (err) {
          log('error', `pipe ${p.name}: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
    });
    return p.chain;
  };

  const openReader = (pipe: string, sink: PipeSink, onClose?: () => void): PipeReader => {
    const r: PipeReader = { id: nextReader++, sink, ...(onClose ? { onClose } : {}) };
    pipeOf(pipe).readers.set(r.id, r);
    return r;
  };
  const closeReader = (pipe: string, r: PipeReader) => {
    pipes.get(pipe)?.readers.delete(r.id);
  };

  const deletePipe = (name: string) => {
    const p = pipes.get(name);
    if (!p) throw new NoSuchPipeError(name);
    if (p.writers !== 0) throw new PipeHasWritersError(name);
    pipes.delete(name);
    for (const r of [...p.readers.values()]) r.onClose?.();
    p.readers.clear();
  };

  const deletePipeline = (name: string, production: readonly string[]) => {
    const pl = pipelines.get(name);
    if (!pl) throw new NoSuchPipelineError(production);
    pl.cancel();
  };

  const plumber: Plumber = {
    plumb(production) {
      if (production.length < 2) throw new EmptyPipelineError();
      const name = production.join(' ');
      if (pipelines.has(name)) throw new PipelineExistsError(production);
      log('debug', `plumber: pipeline ${name}`);
      // ended() only runs later (a program exits, a pipe is deleted, cancel)
      const pl: Pipeline = new Pipeline(name, production, {
        isProgram: opts.isProgram,
        openReader: (pipe, onClose) => openReader(pipe, () => {}, onClose),
        closeReader,
        openWriter: (pipe) => {
          const p = pipeOf(pipe);
          p.writers++;
          return (line) => {
            void send(p, line);
          };
        },
        closeWriter: (pipe) => {
          const p = pipes.get(pipe);
          if (p) p.writers--;
        },
        log,
        ended: () => {
          if (pipelines.get(name) === pl) pipelines.delete(name);
        },
      });
      if (!pl.done) pipelines.set(name, pl);
    },
    pipelines(filter) {
      return [...pipelines.keys()].filter((n) => !filter || filter(n)).sort();
    },
    deletePipeline(production) {
      deletePipeline(production.join(' '), production);
    },
    deleteAllPipelines(filter) {
      for (const [name, pl] of [...pipelines]) if (!filter || filter(name)) pl.cancel();
    },
    write(pipe, value) {
      const p = pipeOf(pipe);
      p.writers++;
      try {
        return send(p, value);
      } finally {
        p.writers--;
      }
    },
    deliver(pipe, value) {
      const p = pipes.get(pipe);
      return p ? send(p, value, true) : Promise.resolve();
    },
    setMode(pipe, mode) {
      pipeOf(pipe).mode = mode;
    },
    setLog(pipe, on) {
      pipeOf(pipe).log = on;
    },
    setVia(pipe, command) {
      pipeOf(pipe).via = [...command];
    },
    pipes(filter) {
      return [...pipes.values()]
        .filter((p) => !filter || filter(p.name))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
        .map((p) => p.info());
    },
    deletePipe,
    deleteAllPipes(filter) {
      const left: string[] = [];
      for (const name of [...pipes.keys()].sort()) {
        if (filter && !filter(name)) continue;
        if ((pipes.get(name)?.writers ?? 0) > 0) left.push(name);
        else deletePipe(name);
      }
      if (left.length > 0) throw new PipeHasWritersError(left.join(', '));
    },
    read(pipe, sink, onClose) {
      const r = openReader(pipe, sink, onClose);
      return { close: () => closeReader(pipe, r) };
    },
    async close() {
      const all = [...pipelines.values()];
      for (const pl of all) pl.cancel();
      await Promise.all(all.map((pl) => pl.exited()));
    },
    [Symbol.asyncDispose]() {
      return plumber.close();
    },
  };
  return plumber;
}
