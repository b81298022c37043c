#!/usr/bin/env bash
# The long soak (the CI runs a 1-minute version in tools/cluster/test/soak.test.ts):
# 3 daemons in network namespaces, random commands, random kill -9 and
# restart with -recover, dropped links. Needs root. Extra args: --seconds N --seed N
set -euo pipefail
cd "$(dirname "$0")/.."
exec node --conditions=source --import tsx tools/cluster/src/soak-cli.ts --seconds 600 "$@"
