// One pipeline (`plumb a "sed -u s/x/y/" b`): a chain of stages, each a named
// pipe or an external program, passing newline-separated messages along.
// A pipe stage reads the pipe (unless it is the last stage) and writes what
// the previous stage produced into it (unless it is the first); a program
// stage gets the previous stage's messages on stdin and hands its stdout
// lines on (unless it is the last). The pipeline ends, and everything it
// opened is closed, when one of its programs exits, one of its pipes is
// deleted, or it is cancelled.
import { createInterface } from 'node:readline';
import { execa, type ResultPromise } from 'execa';
import { splitQuoted } from './fields.js';
import type { PipeReader, PipeSink } from './pipe.js';

export interface PipelineDeps {
  isProgram(word: string): boolean;
  openReader(pipe: string, onClose: () => void): PipeReader;
  closeReader(pipe: string, reader: PipeReader): void;
  /** a writer into `pipe`: counted until closed */
  openWriter(pipe: string): PipeSink;
  closeWriter(pipe: string): void;
  log(level: 'debug' | 'error', msg: string): void;
  /** the pipeline ended (removed from the plumber's list) */
  ended(): void;
}

/** Where a stage's output goes; set by the next stage. */
interface Output {
  sink: PipeSink;
}

export class Pipeline {
  readonly #deps: PipelineDeps;
  readonly #undo: Array<() => void> = [];
  readonly #children = new Set<ResultPromise>();
  #done = false;

  constructor(
    readonly name: string,
    production: readonly string[],
    deps: PipelineDeps,
  ) {
    this.#deps = deps;
    let upstream: Output | undefined;
    const last = production.length - 1;
    for (const [i, stage] of production.entries()) {
      if (this.#done) break;
      const words = splitQuoted(stage);
      const first = words[0] ?? '';
      upstream =
        first !== '' && deps.isProgram(first)
          ? this.#program(words, upstream, i !== last)
          : this.#pipe(stage, upstream, i !== 0, i !== last);
    }
  }

  get done(): boolean {
    return this.#done;
  }

  /** Ends the pipeline: readers and writers closed, programs killed. */
  cancel(): void {
    if (this.#done) return;
    this.#done = true;
    for (const undo of this.#undo.splice(0).reverse()) undo();
    for (const child of this.#children) child.kill('SIGKILL');
    this.#deps.ended();
  }

  /** Resolves once every program of the pipeline has exited. */
  async exited(): Promise<void> {
    await Promise.allSettled([...this.#children]);
  }

  #pipe(
    pipe: string,
    upstream: Output | undefined,
    write: boolean,
    read: boolean,
  ): Output | undefined {
    const d = this.#deps;
    if (write && upstream) {
      const writer = d.openWriter(pipe);
      upstream.sink = (line) => {
        if (!this.#done) writer(line);
      };
      this.#undo.push(() => d.closeWriter(pipe));
    }
    if (!read) return undefined;
    const reader = d.openReader(pipe, () => this.cancel());
    const out: Output = { sink: () => {} };
    reader.sink = (line) => out.sink(line);
    this.#undo.push(() => d.closeReader(pipe, reader));
    return out;
  }

  #program(words: string[], upstream: Output | undefined, read: boolean): Output | undefined {
    const d = this.#deps;
    const [file, ...args] = words as [string, ...string[]];
    const child = execa(file, args, {
      stdin: upstream ? 'pipe' : 'ignore',
      stdout: read ? 'pipe' : 'ignore',
      stderr: 'pipe',
      buffer: false,
      reject: false,
    });
    this.#children.add(child);
    void child.then((r) => {
      if (r.failed && !this.#done) d.log('error', `plumber: ${file}: ${r.shortMessage}`);
      this.cancel();
    });
    createInterface({ input: child.stderr }).on('line', (l) => {
      if (l.trim() !== '') d.log('debug', `plumber: ${file}: ${l.trim()}`);
    });
    if (upstream && child.stdin) {
      const stdin = child.stdin;
      // a program that exits early makes writes fail (EPIPE): the exit ends the pipeline
      stdin.on('error', () => this.cancel());
      upstream.sink = (line) => {
        if (!this.#done) stdin.write(line);
      };
    }
    if (!read || !child.stdout) return undefined;
    const out: Output = { sink: () => {} };
    createInterface({ input: child.stdout, crlfDelay: Number.POSITIVE_INFINITY }).on(
      'line',
      (l) => {
        if (!this.#done) out.sink(`${l}\n`);
      },
    );
    return out;
  }
}
