// The `minimega` command (run by entry/main.ts from its code-cached bundle,
// dist/client.cjs, and by the single executable). Client modes (-version,
// -e, -attach) load only light modules; the daemon (and everything it
// imports) is loaded with import() only when this process is going to be the
// daemon, so `minimega -e echo hi` starts fast.
import { cgroupFlagProblem, cgroupRootOf } from './flags/cgroup-root.js';
import {
  FlagError,
  FlagHelpRequested,
  missingFeatureErrors,
  parseFlags,
  usageText,
} from './flags/parse.js';
import { BANNER, COPYRIGHT, versionLine } from './version.js';

async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseFlags>;
  try {
    parsed = parseFlags(argv);
  } catch (e) {
    quietOnClosedStdout();
    if (e instanceof FlagHelpRequested) {
      process.stdout.write(`${BANNER}${usageText()}\n`);
      return 0;
    }
    if (e instanceof FlagError) {
      process.stderr.write(`${e.message}\n${usageText()}\n`);
      return 2;
    }
    throw e;
  }
  const v = parsed.values;
  // -e's own output is fd writes; every other mode (-cli, -version, -nuke win over -e) uses process.stdout
  if (!(v.e === true && v.cli !== true && v.version !== true && v.nuke !== true))
    quietOnClosedStdout();
  const missing = missingFeatureErrors(parsed);
  const badCgroup = cgroupFlagProblem(v);
  if (badCgroup) missing.push(badCgroup);
  if (missing.length > 0) {
    for (const m of missing) process.stderr.write(`minimega: ${m}\n`);
    return 2;
  }
  if (v.cli === true) {
    const { printCliDocument } = await import('./daemon/cli-doc.js');
    const code = await printCliDocument();
    // registered modules may hold handles (listeners, timers): -cli only prints, then ends
    await new Promise<void>((r) => process.stdout.write('', () => r()));
    process.exit(code);
  }
  if (v.version === true) {
    process.stdout.write(`${versionLine()}\n${COPYRIGHT}\n`);
    return 0;
  }
  const socketPath = `${String(v.base).replace(/\/+$/, '') || '/'}/minimega`;
  if (v.nuke === true) {
    const base = String(v.base).replace(/\/+$/, '') || '/';
    const { runNukeCli } = await import('./recovery/nuke-cli.js');
    return runNukeCli({
      base,
      filepath: parsed.set.has('filepath') ? String(v.filepath) : `${base}/files`,
      words: parsed.positional,
      cgroupRoot: cgroupRootOf(v),
    });
  }
  if (v.e === true || v.attach === true) {
    if (v.e === true) {
      const { runOneShot } = await import('./client/oneshot.js');
      return runOneShot({ socketPath, namespace: String(v.namespace), words: parsed.positional });
    }
    const { runAttach } = await import('./client/attach.js');
    return runAttach({ socketPath, namespace: String(v.namespace) });
  }
  if (parsed.positional.length > 0) {
    process.stderr.write(
      `minimega: unexpected arguments ${JSON.stringify(parsed.positional)}: only -e takes arguments (flags go before them)\n`,
    );
    return 2;
  }
  daemonMode = true;
  // before the daemon's modules load: they are the first burst that would grow the heap
  (await import('./heap.js')).enterDaemonStartUp();
  const { runDaemonMain } = await import('./daemon/start.js');
  const code = await runDaemonMain(parsed);
  // the daemon may leave handles behind (children it orphaned, timers): leave now
  process.exit(code);
}

// `minimega -cli | head` and friends: a closed stdout ends a client quietly;
// the daemon just stops writing to it (it must outlive its terminal). Not
// for -e, which writes with fs.writeSync (client/fd-out.ts): touching
// process.stdout makes the stream, which loads Node's stream modules.
let daemonMode = false;
function quietOnClosedStdout(): void {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (daemonMode) return;
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`minimega: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  },
);
