// The real driver: runs qemu-system-x86_64 with execa, supervises it and
// speaks QMP on `<instance>/qmp`.
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { type AccelSetting, accelResolver, type ProbeAccelOptions } from './accel.js';
import { applyOverrides, buildArgs } from './argv.js';
import type { StartVmOptions, VmDriver, VmExit, VmProcess } from './driver.js';
import { QemuStartError } from './errors.js';
import { resolveQemuBinary } from './probe.js';
import { QmpClient } from './qmp.js';

export interface QemuDriverOptions {
  accel: AccelSetting;
  probe?: ProbeAccelOptions;
  /** how long to keep dialling QMP after starting QEMU; default 5000 ms (minimega: 50 x 100 ms) */
  qmpWaitMs?: number;
  log?: (msg: string) => void;
}

const STDERR_KEEP = 8192;

export function createQemuDriver(opts: QemuDriverOptions): VmDriver {
  const accel = accelResolver(opts.accel, { ...opts.probe, log: opts.probe?.log ?? opts.log });

  async function start(s: StartVmOptions): Promise<VmProcess> {
    const bin = await resolveQemuBinary(s.config.qemu);
    const args = applyOverrides(
      buildArgs(s.config, { id: s.id, instanceDir: s.instanceDir, accel: await accel() }),
      s.config.qemuOverride,
    );
    let stderr = '';
    let killing = false;
    const child = execa(bin, args, {
      reject: false,
      stdin: 'ignore',
      stdout: 'ignore',
      stderr: 'pipe',
      buffer: false,
      cwd: s.instanceDir,
    });
    child.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-STDERR_KEEP);
    });
    let gone = false;
    const exited: Promise<VmExit> = child.then((r) => {
      gone = true;
      const tail = stderr.trim();
      if (killing) return { expected: true, reason: 'killed' };
      if (r.exitCode === 0) return { expected: true, reason: 'qemu exited' };
      const how = r.signal
        ? `qemu killed by ${r.signal}`
        : r.exitCode !== undefined
          ? `qemu exited with status ${r.exitCode}`
          : (r.shortMessage ?? 'qemu failed');
      return { expected: false, reason: tail ? `${how}: ${tail}` : how };
    });
    const kill = async () => {
      killing = true;
      child.kill('SIGKILL');
      await exited;
    };

    let qmp: QmpClient | undefined;
    // dial often at first (QEMU makes the socket within tens of ms), then back off
    const deadline = Date.now() + (opts.qmpWaitMs ?? 5000);
    for (let delay = 10; !gone && Date.now() < deadline; delay = Math.min(delay * 2, 100)) {
      try {
        qmp = await QmpClient.connect({
          path: `${s.instanceDir}/qmp`,
          timeoutMs: 5000,
          signal: s.signal,
        });
        break;
      } catch {
        if (s.signal?.aborted) break;
        await sleep(delay);
      }
    }
    if (!qmp) {
      const early = gone ? await exited : undefined;
      if (!gone) await kill();
      if (child.pid === undefined || (early && /ENOENT|not found/.test(early.reason))) {
        throw new QemuStartError(
          `unable to start qemu: ${early?.reason ?? 'spawn failed'} ${stderr.trim()}`.trim(),
        );
      }
      throw new QemuStartError(
        `unable to connect to qmp socket: qmp timeout. qemu output: ${early ? early.reason : stderr.trim()}`,
      );
    }
    const monitor = qmp;
    void exited.then(() => monitor.close());
    return {
      pid: child.pid ?? 0,
      argv: [bin, ...args],
      monitor,
      exited,
      kill: async () => {
        monitor.close();
        await kill();
      },
    };
  }

  async function createOverlay(o: {
    backing: string;
    overlay: string;
    signal?: AbortSignal;
  }): Promise<void> {
    // a relative backing path is relative to the overlay (as qemu-img reads it)
    const cwd = dirname(o.overlay);
    const info = await execa('qemu-img', ['info', '--output=json', o.backing], {
      cwd,
      cancelSignal: o.signal,
    });
    const fmt = (JSON.parse(info.stdout) as { format?: string }).format ?? 'raw';
    await execa('qemu-img', ['create', '-f', 'qcow2', '-b', o.backing, '-F', fmt, o.overlay], {
      cwd,
      cancelSignal: o.signal,
    });
  }

  return { start, createOverlay, accel };
}
