#!/usr/bin/env bash
# The whole test suite: install, build, lint, typecheck, unit + real-component
# tests (vitest), then minimega's own command tests (tools/minitest).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
echo "== lint"; pnpm exec biome check .
echo "== typecheck"; TURBO_TELEMETRY_DISABLED=1 pnpm exec turbo run typecheck --output-logs=errors-only
echo "== vitest"; pnpm exec vitest run
echo "== minitest"; bash scripts/minitest.sh
echo "== minitest (distributed)"; bash scripts/minitest.sh --distributed
