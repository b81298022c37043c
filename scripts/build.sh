#!/usr/bin/env bash
# Builds every package and app (tsup, ESM + .d.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
TURBO_TELEMETRY_DISABLED=1 pnpm exec turbo run build --output-logs=errors-only
# the single executable dist/minimega (skipped when up to date; MM_SKIP_SEA=1 skips it)
[ -n "${MM_SKIP_SEA:-}" ] || bash scripts/build-sea.sh
