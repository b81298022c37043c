#!/usr/bin/env bash
# Installs what is missing, builds, and starts a minimega daemon in the
# foreground with its prompt. Extra arguments are daemon flags.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh >&2
bash scripts/build.sh >&2
exec node apps/minimega/dist/main.js "$@"
