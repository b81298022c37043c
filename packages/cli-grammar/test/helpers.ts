import { type Batch, Cli, mapEnv, type Response } from '../src/index.js';

/** A Cli with the builtins, a sandboxed env and a few test commands. */
export function testCli(hostname = 'mm0'): Cli {
  const cli = new Cli({ hostname, env: mapEnv({ HOME: '/root' }) });
  cli.registerBuiltins();
  cli.register({
    helpShort: 'echo input',
    patterns: ['echo [args]...'],
    call: (cmd, out) => out.respond({ response: (cmd.listArgs.args ?? []).join(' ') }),
  });
  return cli;
}

/** Run a line and collect every batch. */
export async function runAll(cli: Cli, line: string): Promise<Batch[]> {
  const batches: Batch[] = [];
  for await (const b of cli.run(line)) batches.push(b);
  return batches;
}

/** Run a line and render like the minitest transcript: sorted `E:` lines, then text. */
export async function transcript(cli: Cli, line: string): Promise<string> {
  const out: string[] = [];
  for await (const b of cli.run(line)) {
    const errs = b.filter((r) => r.error !== '').map((r) => `E: ${r.error}`);
    out.push(...errs.sort());
    const text = cli.render(b);
    if (text !== '') out.push(text);
  }
  return out.join('\n');
}

export function resp(host: string, r: Partial<Response>): Response {
  return { host, response: '', header: null, tabular: null, error: '', ...r };
}

/** What `fn` throws (undefined when it returns): for asserting on error class, code and fields. */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}
