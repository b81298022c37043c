import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { createPlumber, type Plumber, type PlumberOptions, splitQuoted } from '../src/index.js';

// pipeline words that are programs: the real ones these tests run
const PROGRAMS = new Set(['sed', 'tr', 'cat', 'false']);

function plumber(extra: Partial<PlumberOptions> = {}): Plumber & { logged: string[] } {
  const logged: string[] = [];
  const p = createPlumber({
    isProgram: (w) => PROGRAMS.has(w),
    log: (level, msg) => logged.push(`${level}: ${msg}`),
    ...extra,
  });
  return Object.assign(p, { logged });
}

const table = (p: Plumber) =>
  p.pipes().map((i) => [i.name, i.mode, i.readers, i.writers, i.count].join(' '));

async function until(what: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!what()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(20);
  }
}

describe('plumber pipes', () => {
  it('a tree of pipes: readers/writers per pipeline, mode all copies to every branch', async () => {
    await using p = plumber();
    for (const [a, b] of [
      ['p0', 'p1'],
      ['p0', 'p2'],
      ['p1', 'p3'],
      ['p1', 'p4'],
    ] as const)
      p.plumb([a, b]);
    expect(p.pipelines()).toEqual(['p0 p1', 'p0 p2', 'p1 p3', 'p1 p4']);
    expect(table(p)).toEqual([
      'p0 all 2 0 0',
      'p1 all 2 1 0',
      'p2 all 0 1 0',
      'p3 all 0 1 0',
      'p4 all 0 1 0',
    ]);
    const got: string[] = [];
    p.read('p3', (l) => got.push(l));
    await p.write('p0', 'hello');
    // delivery between pipes is done when write() returns
    expect(got).toEqual(['hello\n']);
    expect(table(p)).toEqual([
      'p0 all 2 0 1',
      'p1 all 2 1 1',
      'p2 all 0 1 1',
      'p3 all 1 1 1',
      'p4 all 0 1 1',
    ]);
    expect(p.pipes().find((i) => i.name === 'p4')?.previous).toBe('hello');
  });

  it('round-robin alternates between readers; random picks one reader', async () => {
    await using p = plumber({ random: () => 0.99 });
    const a: string[] = [];
    const b: string[] = [];
    p.read('rr', (l) => a.push(l));
    p.read('rr', (l) => b.push(l));
    p.setMode('rr', 'round-robin');
    for (const m of ['1', '2', '3', '4', '5']) await p.write('rr', m);
    expect(a).toEqual(['1\n', '3\n', '5\n']);
    expect(b).toEqual(['2\n', '4\n']);
    expect(p.pipes()[0]).toMatchObject({ mode: 'round-robin', count: 5, previous: '5' });
    p.setMode('rr', 'random');
    await p.write('rr', 'x');
    expect(b).toEqual(['2\n', '4\n', 'x\n']);
  });

  it('a write with no reader is still counted and remembered', async () => {
    await using p = plumber();
    p.setMode('lonely', 'round-robin');
    await p.write('lonely', 'anyone?');
    expect(p.pipes()).toEqual([
      {
        name: 'lonely',
        mode: 'round-robin',
        readers: 0,
        writers: 0,
        count: 1,
        via: '',
        previous: 'anyone?',
      },
    ]);
  });

  it('a via program transforms each message per reader', async () => {
    await using p = plumber();
    const got: string[] = [];
    p.read('v', (l) => got.push(l));
    p.setVia('v', ['tr', 'a-z', 'A-Z']);
    await p.write('v', 'shout');
    expect(got).toEqual(['SHOUT\n']);
    expect(p.pipes()[0]?.via).toBe('tr a-z A-Z');
    p.setVia('v', ['false']);
    await p.write('v', 'lost');
    expect(got).toEqual(['SHOUT\n']);
    expect(p.logged.some((l) => l.startsWith('error: pipe v: via false'))).toBe(true);
  });

  it('a loop of pipes is cut with an error instead of spinning', async () => {
    await using p = plumber();
    p.plumb(['a', 'b']);
    p.plumb(['b', 'a']);
    await p.write('a', 'round and round');
    expect(p.logged.some((l) => /loop/.test(l))).toBe(true);
  });
});

describe('plumber across nodes (forward / deliver)', () => {
  it('a write in mode all reaches the same pipe on the other node, which does not forward it back', async () => {
    const sent: string[] = [];
    // b forwards to a too: a loop would show up as a second message on a
    let a: Plumber | undefined;
    await using b = plumber({ forward: (pipe, v) => void a?.deliver(pipe, v) });
    await using a0 = plumber({
      forward: (pipe, v) => {
        sent.push(`${pipe}: ${v}`);
        void b.deliver(pipe, v);
      },
    });
    a = a0;
    const got: string[] = [];
    b.plumb(['bar', 'baz']);
    b.read('baz', (l) => got.push(l));
    await a0.write('nowhere', 'dropped: no such pipe on b');
    await a0.write('bar', 'hello');
    expect(sent).toEqual(['nowhere: dropped: no such pipe on b\n', 'bar: hello\n']);
    expect(got).toEqual(['hello\n']);
    expect(b.pipes().map((i) => [i.name, i.count, i.previous])).toEqual([
      ['bar', 1, 'hello'],
      ['baz', 1, 'hello'],
    ]);
    expect(a0.pipes().map((i) => [i.name, i.count])).toEqual([
      ['bar', 1],
      ['nowhere', 1],
    ]);
    // round-robin chooses among this node's readers: nothing forwarded
    a0.setMode('bar', 'round-robin');
    await a0.write('bar', 'local');
    expect(sent).toHaveLength(2);
  });
});

describe('plumber pipelines through programs', () => {
  it('messages pass through sed into the next pipe', async () => {
    await using p = plumber();
    const got: string[] = [];
    p.read('bar', (l) => got.push(l));
    p.plumb(['foo', 'sed -u s/cc/mm1/', 'bar']);
    expect(p.pipes().map((i) => [i.name, i.readers, i.writers])).toEqual([
      ['bar', 1, 1],
      ['foo', 1, 0],
    ]);
    await p.write('foo', 'hello from cc!');
    await until(() => got.length === 1);
    expect(got).toEqual(['hello from mm1!\n']);
  });

  it('quoted words of a stage stay one argument', async () => {
    await using p = plumber();
    const got: string[] = [];
    p.read('out', (l) => got.push(l));
    p.plumb(['in', 'sed -u "s/a b/c/"', 'out']);
    await p.write('in', 'xa by');
    await until(() => got.length === 1);
    expect(got).toEqual(['xcy\n']);
  });

  it('deleting a pipeline kills its program and closes its readers and writers', async () => {
    await using p = plumber();
    p.plumb(['src', 'cat', 'dst']);
    expect(() => p.deletePipe('dst')).toThrow(
      expect.objectContaining({ code: 'ERR_PLUMBER_PIPE_WRITERS' }),
    );
    p.deletePipeline(['src', 'cat', 'dst']);
    expect(p.pipelines()).toEqual([]);
    expect(table(p)).toEqual(['dst all 0 0 0', 'src all 0 0 0']);
    p.deleteAllPipes();
    expect(p.pipes()).toEqual([]);
  });

  it('a program that exits ends its pipeline', async () => {
    await using p = plumber();
    p.plumb(['in', 'false', 'out']);
    await until(() => p.pipelines().length === 0);
    expect(table(p)).toEqual(['in all 0 0 0', 'out all 0 0 0']);
  });

  it('deleting a pipe a pipeline reads ends that pipeline', async () => {
    await using p = plumber();
    p.plumb(['a', 'b']);
    p.deletePipe('a');
    expect(p.pipelines()).toEqual([]);
    expect(table(p)).toEqual(['b all 0 0 0']);
  });

  it('typed errors: duplicate pipeline, unknown pipeline and pipe, one stage', () => {
    const p = plumber();
    p.plumb(['x', 'y']);
    expect(() => p.plumb(['x', 'y'])).toThrow(
      expect.objectContaining({ code: 'ERR_PLUMBER_PIPELINE_EXISTS' }),
    );
    expect(() => p.deletePipeline(['y', 'x'])).toThrow(
      expect.objectContaining({
        code: 'ERR_PLUMBER_NO_PIPELINE',
        message: 'no such pipeline: y x',
      }),
    );
    expect(() => p.deletePipe('nope')).toThrow(
      expect.objectContaining({ code: 'ERR_PLUMBER_NO_PIPE' }),
    );
    expect(() => p.plumb(['x'])).toThrow(expect.objectContaining({ code: 'ERR_PLUMBER_EMPTY' }));
    p.deleteAllPipelines((n) => n.startsWith('z'));
    expect(p.pipelines()).toEqual(['x y']);
    p.deleteAllPipelines();
    expect(p.pipelines()).toEqual([]);
  });
});

describe('splitQuoted', () => {
  it('splits on spaces, keeps quoted runs whole', () => {
    expect(splitQuoted('sed -u s/a/b/')).toEqual(['sed', '-u', 's/a/b/']);
    expect(splitQuoted('  normal -stddev "5 0"  x')).toEqual(['normal', '-stddev', '5 0', 'x']);
    expect(splitQuoted('a ""')).toEqual(['a', '']);
  });
});

describe('README example', () => {
  it('runs as written', async () => {
    const { main } = await import('../examples/plumber.js');
    expect(await main()).toBe('hello from mm!\n');
  });
});
