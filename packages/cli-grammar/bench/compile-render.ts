// Prints how fast lines compile, run and render (figures only, nothing asserted).
// Run: pnpm exec tsx --conditions=source bench/compile-render.ts
import { performance } from 'node:perf_hooks';
import { Cli, splitList, unsplitList } from '@mm/cli-grammar';

const cli = new Cli({ hostname: 'kn1', historyLimit: 1000 });
cli.registerBuiltins();
cli.register({
  helpShort: 'echo',
  patterns: ['echo [args]...'],
  call: (cmd, out) => out.respond({ response: (cmd.listArgs.args ?? []).join(' ') }),
});
const rows = Array.from({ length: 200 }, (_, i) => [
  `vm${i}`,
  i % 3 ? 'RUNNING' : 'PAUSED',
  String(i % 8),
]);
cli.register({
  helpShort: 'vm info',
  patterns: ['vm info'],
  call: (_c, out) =>
    out.emit(
      ['kn1', 'kn2', 'kn3', 'kn4'].map((host) =>
        cli.response({ host, header: ['name', 'state', 'vcpus'], tabular: rows }),
      ),
    ),
});

async function time(label: string, n: number, fn: () => Promise<void> | void): Promise<void> {
  for (let i = 0; i < Math.min(n, 100); i++) await fn(); // warm up
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await fn();
  const us = ((performance.now() - t0) * 1000) / n;
  console.log(`${label.padEnd(48)} ${us.toFixed(1).padStart(9)} µs/op`);
}

await time('compile `.columns name .filter state=run vm info`', 20_000, () => {
  cli.compile('.columns name .filter state=run vm info');
});
await time('run + render `echo hello world`', 20_000, async () => {
  for await (const b of cli.run('echo hello world')) cli.render(b);
});
await time('run + render 4 hosts × 200 rows, sorted table', 200, async () => {
  for await (const b of cli.run('vm info')) cli.render(b);
});
const names = splitList('kn[1-2000]');
await time('unsplitList 2000 names', 200, () => {
  unsplitList(names);
});
