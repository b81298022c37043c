// Tap bandwidth for `host` (ovs-net.md §1 "Bandwidth accounting"): every 5 s
// (by default)
// the byte counters of every VM tap are summed; the rate is the average over
// the last 10 samples. Counters are swapped (the host's rx is the VMs' tx).
// minimega's weighted average favours the oldest interval (§7.8); this one
// weighs the window evenly.
import { readFile } from 'node:fs/promises';
import type { NetRecords } from './records.js';

const KEEP = 10;

interface Sample {
  at: number;
  rx: number;
  tx: number;
}

async function counter(tap: string, which: 'rx' | 'tx'): Promise<number> {
  try {
    return (
      Number((await readFile(`/sys/class/net/${tap}/statistics/${which}_bytes`, 'utf8')).trim()) ||
      0
    );
  } catch {
    return 0;
  }
}

export interface BandwidthMeter {
  /** MB/s into (rx) and out of (tx) the VMs */
  rate(): { rx: number; tx: number };
  stop(): void;
}

export function startBandwidthMeter(st: NetRecords, periodMs: number): BandwidthMeter {
  const samples: Sample[] = [];
  let busy = false;
  const sample = async () => {
    if (busy) return;
    busy = true;
    try {
      let rx = 0;
      let tx = 0;
      for (const b of st.bridges.values()) {
        for (const t of b.taps.values()) {
          if (t.host) continue;
          rx += await counter(t.name, 'tx'); // what the VM received left the host through the tap
          tx += await counter(t.name, 'rx');
        }
      }
      samples.push({ at: Date.now(), rx, tx });
      if (samples.length > KEEP) samples.shift();
    } finally {
      busy = false;
    }
  };
  const timer = periodMs > 0 ? setInterval(() => void sample(), periodMs) : undefined;
  timer?.unref();
  return {
    rate() {
      const first = samples[0];
      const last = samples[samples.length - 1];
      if (!first || !last || last.at === first.at) return { rx: 0, tx: 0 };
      const secs = (last.at - first.at) / 1000;
      const mb = (n: number) => Math.max(0, n) / 1e6 / secs;
      return { rx: mb(last.rx - first.rx), tx: mb(last.tx - first.tx) };
    },
    stop() {
      clearInterval(timer);
    },
  };
}
