// Loaded into a daemon with `node --import <this file>` by vm-start.ts: keeps
// the per-VM phase timestamps @mm/qemu publishes on its diagnostics channel
// and appends them (JSON lines) to $MM_PHASE_TRACE every 100 ms, off the
// measured path. Plain .mjs so the built daemon needs no loader.
import { subscribe } from 'node:diagnostics_channel';
import { appendFileSync } from 'node:fs';

const path = process.env.MM_PHASE_TRACE;
if (path) {
  let buf = [];
  subscribe('mm:qemu:vm-phase', (e) => buf.push(e));
  const flush = () => {
    if (buf.length === 0) return;
    const lines = buf.map((e) => `${JSON.stringify(e)}\n`).join('');
    buf = [];
    appendFileSync(path, lines);
  };
  setInterval(flush, 100).unref();
  process.on('exit', flush);
}
