// Runs minimega command tests against a daemon's socket: per test a fresh
// connection, prolog, the test, epilog; compares with NAME.want.
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RunnerClient, RunnerClientError } from './client.js';
import { compareTranscript, formatDiff, type Mismatch } from './compare.js';
import { runQuietly, runTranscript, testLines } from './transcript.js';

export interface TestResult {
  name: string;
  passed: boolean;
  got: string;
  want: string;
  mismatches: Mismatch[];
  /** why the test could not run to the end */
  error?: string;
  ms: number;
}

export interface RunOptions {
  dir: string;
  socket: string;
  tests: string[];
  /** per command (ms) */
  timeoutMs?: number;
  /** what `$images` in a command stands for (a directory of test images, e.g. minicccfs) */
  images?: string;
  onResult?: (r: TestResult) => void;
}

/** Names of the tests in `dir`: files with a NAME.want beside them. */
export async function discoverTests(dir: string): Promise<string[]> {
  const files = await readdir(dir);
  return files
    .filter((f) => f.endsWith('.want') && files.includes(f.slice(0, -5)))
    .map((f) => f.slice(0, -5))
    .sort();
}

/** Test names from a list file: one per line, `#` comments and blank lines ignored. */
export function parseList(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.replace(/#.*$/, '').trim())
    .filter((l) => l !== '');
}

/** `$images` (never defined by minimega) becomes the images directory; the transcript keeps the line as written */
export function withImages(cmd: string, images: string | undefined): string {
  return images === undefined ? cmd : cmd.replace(/\$images\b/g, images);
}

async function optionalLines(path: string): Promise<string[]> {
  return existsSync(path) ? testLines(await readFile(path, 'utf8')) : [];
}

export async function runTest(name: string, opts: RunOptions): Promise<TestResult> {
  const t0 = Date.now();
  let want: string;
  let lines: string[];
  let prolog: string[];
  let epilog: string[];
  try {
    want = await readFile(join(opts.dir, `${name}.want`), 'utf8');
    lines = testLines(await readFile(join(opts.dir, name), 'utf8'));
    prolog = await optionalLines(join(opts.dir, 'prolog'));
    epilog = await optionalLines(join(opts.dir, 'epilog'));
  } catch (e) {
    const error = `cannot read test ${name} in ${opts.dir}: ${(e as Error).message}`;
    return { name, passed: false, got: '', want: '', mismatches: [], error, ms: Date.now() - t0 };
  }
  const timeout = opts.timeoutMs ?? 120_000;
  let client: RunnerClient | undefined;
  let got = '';
  let error: string | undefined;
  const runnerOn = (c: RunnerClient) => ({
    run: (cmd: string) => c.run(withImages(cmd, opts.images), timeout),
  });
  try {
    client = await RunnerClient.dial(opts.socket);
    await runQuietly(prolog, runnerOn(client));
    try {
      got = await runTranscript(lines, runnerOn(client));
    } catch (e) {
      // a command past its time limit still holds that connection (the
      // daemon answers in order): the epilog's cleanup goes on a fresh one,
      // so one slow test does not leave its state to the next
      if ((e as Error).cause instanceof RunnerClientError) {
        client.close();
        client = await RunnerClient.dial(opts.socket).catch(() => undefined);
      }
      throw e;
    } finally {
      if (client) await runQuietly(epilog, runnerOn(client)).catch(() => {});
    }
  } catch (e) {
    error = (e as Error).message;
    got = (e as { transcript?: string }).transcript ?? got;
  } finally {
    client?.close();
  }
  const mismatches = compareTranscript(want, got);
  return {
    name,
    passed: error === undefined && mismatches.length === 0,
    got,
    want,
    mismatches,
    ...(error !== undefined ? { error } : {}),
    ms: Date.now() - t0,
  };
}

export async function runTests(opts: RunOptions): Promise<TestResult[]> {
  const results: TestResult[] = [];
  for (const name of opts.tests) {
    const r = await runTest(name, opts);
    opts.onResult?.(r);
    results.push(r);
  }
  return results;
}

/** The report lines for one result. */
export function formatResult(r: TestResult): string {
  const head = `${r.passed ? 'PASS' : 'FAIL'} ${r.name} (${(r.ms / 1000).toFixed(2)}s)`;
  if (r.passed) return head;
  const parts = [head];
  if (r.error) parts.push(`  error: ${r.error}`);
  if (r.mismatches.length > 0) parts.push(formatDiff(r.want, r.got, r.mismatches));
  return parts.join('\n');
}

export function summary(results: TestResult[]): string {
  const passed = results.filter((r) => r.passed).length;
  return `${passed} passed, ${results.length - passed} failed`;
}
