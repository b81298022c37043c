// The single executable's second bundle (scripts/build-sea.sh embeds it as
// the SEA asset `daemon.cjs`): every path of `minimega` that needs the daemon
// or its heavy dependencies. The executable's main script is only the client
// (flags, -e, -version); it evaluates this asset on first use (sea/heavy.cjs),
// so `minimega -e` starts like a bare `node` instead of compiling ~2 MB.
export { runAttach } from '../client/attach.js';
export { printCliDocument } from '../daemon/cli-doc.js';
export { runDaemonMain } from '../daemon/start.js';
export { runNukeCli } from '../recovery/nuke-cli.js';
