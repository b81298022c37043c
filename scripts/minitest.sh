#!/usr/bin/env bash
# Runs the minimega command tests whose features exist (tools/minitest/tests.txt)
# against a fresh daemon. `--distributed` runs the distributed ones instead
# (tools/minitest/tests-distributed.txt) on a head + mm1..mm3.
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED="${MM_SHARED:-$(cd .. && pwd)/shared}"
if [ "${1:-}" = "--distributed" ]; then
  shift
  exec node tools/minitest/dist/cli.js --distributed --dir "$SHARED/minitest/distributed" \
    --list tools/minitest/tests-distributed.txt "$@"
fi
# $images: a directory holding minicccfs, the busybox container rootfs
IMAGES="$(node --import tsx tools/guest-image/src/cli.ts --container | sed -n 's/^images //p')"
exec node tools/minitest/dist/cli.js --dir "$SHARED/minitest" --list tools/minitest/tests.txt --images "$IMAGES" "$@"
