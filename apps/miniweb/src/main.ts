#!/usr/bin/env node
// `miniweb`: the web view beside a minimega daemon.
import { createDaemonPool } from './daemon.js';
import { FlagError, parseFlags, USAGE } from './flags.js';
import { createMiniweb } from './server.js';
import {
  generateAdminToken,
  generatedTokenPath,
  loadTokens,
  TokenFileError,
  tokenStore,
} from './tokens.js';

async function main(argv: string[]): Promise<number> {
  let flags: ReturnType<typeof parseFlags>;
  try {
    flags = parseFlags(argv);
  } catch (e) {
    if (e instanceof FlagError) {
      process.stderr.write(`miniweb: ${e.message}\n${USAGE}\n`);
      return 2;
    }
    throw e;
  }
  if (flags === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let tokens: Awaited<ReturnType<typeof loadTokens>>;
  let generated = '';
  try {
    if (flags.tokens) tokens = await loadTokens(flags.tokens);
    else {
      generated = await generateAdminToken(flags.base);
      tokens = tokenStore([[generated, 'admin']]);
    }
  } catch (e) {
    if (e instanceof TokenFileError) {
      process.stderr.write(`miniweb: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
  const web = await createMiniweb({
    daemon: createDaemonPool({ base: flags.base }),
    tokens,
    namespace: flags.namespace,
    screenshotTtlMs: flags['screenshot-ttl'] * 1000,
    log: (m) => process.stderr.write(`miniweb: ${m}\n`),
  });
  const { url } = await web.listen(flags.addr);
  process.stdout.write(`miniweb: serving ${url} for the daemon at ${flags.base}\n`);
  if (generated) {
    process.stdout.write(
      `miniweb: admin token (also in ${generatedTokenPath(flags.base)}):\n  ${generated}\n  open ${url}/?token=${generated}\n`,
    );
  }
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await web.close();
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`miniweb: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
