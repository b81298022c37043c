#!/usr/bin/env bash
# Builds dist/minimega: the daemon and its -e/-attach client as ONE
# self-contained executable (a Node single-executable application: the whole
# app bundled to one CommonJS file, embedded in a copy of this machine's
# `node` with postject). It runs on a host with no checkout, no node_modules
# and no Node; `deploy launch` copies it to other hosts.
# Beside it: dist/minimega.zst and .gz, the compressed forms deploy sends
# (a third of the bytes; the host unpacks with zstd or gzip), and
# dist/minimega.sha256, naming the build they belong to.
# Skipped when dist/minimega is newer than every source it is built from
# (MM_SEA_FORCE=1 rebuilds anyway).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=dist/minimega

# the compressed copies (in parallel; the hash file last, so a half-written
# pack is never taken for this build's)
pack() {
  rm -f "$OUT.sha256"
  local pids=()
  if command -v zstd >/dev/null 2>&1; then
    (zstd -q -10 -T0 -f -o "$OUT.zst.tmp" "$OUT" && mv -f "$OUT.zst.tmp" "$OUT.zst") &
    pids+=($!)
  else
    rm -f "$OUT.zst"
  fi
  (gzip -6 -c "$OUT" >"$OUT.gz.tmp" && mv -f "$OUT.gz.tmp" "$OUT.gz") &
  pids+=($!)
  for p in "${pids[@]}"; do wait "$p"; done
  sha256sum "$OUT" >"$OUT.sha256.tmp" && mv -f "$OUT.sha256.tmp" "$OUT.sha256"
}

if [ -z "${MM_SEA_FORCE:-}" ] && [ -x "$OUT" ] &&
  [ -z "$(find apps/minimega/src apps/minimega/tsup.sea.config.ts apps/minimega/daemon-bundle.ts packages/*/src packages/*/package.json \
    pnpm-lock.yaml -newer "$OUT" -print -quit)" ]; then
  [ -s "$OUT.sha256" ] && [ ! "$OUT" -nt "$OUT.sha256" ] || pack
  exit 0
fi
mkdir -p dist/sea
(cd apps/minimega && pnpm exec tsup --config tsup.sea.config.ts --silent)
node scripts/sea-code-cache.cjs dist/sea/daemon.cjs dist/sea/daemon.cache
# the client's code cache, made after one real -e (apps/minimega/src/sea/main.ts
# says why); without it the executable still works, compiling the client
rm -f dist/sea/client.cache
node dist/sea/make-cache.cjs dist/sea/client.cjs dist/sea/client.cache >/dev/null ||
  { echo "build-sea: no client code cache (-e will compile the client at each start)" >&2; : >dist/sea/client.cache; }
cat >dist/sea/sea-config.json <<JSON
{ "main": "dist/sea/minimega.cjs", "output": "dist/sea/minimega.blob",
  "disableExperimentalSEAWarning": true, "useCodeCache": true,
  "assets": { "client.cjs": "dist/sea/client.cjs", "client.cache": "dist/sea/client.cache",
    "daemon.cjs": "dist/sea/daemon.cjs", "daemon.cache": "dist/sea/daemon.cache" } }
JSON
node --experimental-sea-config dist/sea/sea-config.json >/dev/null 2>&1
tmp="$OUT.tmp.$$"
trap 'rm -f "$tmp"' EXIT
cp "$(command -v node)" "$tmp"
# node ships with debug info: stripping it makes the file ~12 MB smaller to copy
if command -v strip >/dev/null 2>&1; then strip "$tmp" 2>/dev/null || true; fi
apps/minimega/node_modules/.bin/postject "$tmp" NODE_SEA_BLOB dist/sea/minimega.blob \
  --sentinel-fuse NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2 >/dev/null 2>&1 ||
  { echo "build-sea: postject failed" >&2; exit 1; }
"$tmp" -version >/dev/null
mv "$tmp" "$OUT"
pack
echo "build-sea: $OUT ($(($(stat -c %s "$OUT") / 1048576)) MB; packed for deploy: $(for f in "$OUT".zst "$OUT".gz; do [ -f "$f" ] && printf '%s %s MB ' "${f##*.}" $(($(stat -c %s "$f") / 1048576)); done))"
