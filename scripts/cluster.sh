#!/usr/bin/env bash
# A minimega cluster on this machine (root): hosts n1..nN in network
# namespaces, each with its own hostname and /tmp. See README "Deploy and a
# cluster on one machine"; `scripts/cluster.sh` alone prints the commands.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f tools/cluster/dist/cli.js ] || [ ! -x dist/minimega ]; then
  # a fresh checkout: Debian packages (openssh-server, zstd, ...), pnpm, node_modules, then the build
  bash scripts/install-deps.sh >&2
  bash scripts/build.sh >&2
fi
exec node tools/cluster/dist/cli.js "$@"
