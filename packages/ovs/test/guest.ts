// Tiny QEMU guests (TCG) on a tap, for traffic tests and benchmarks (the
// image: test-support's guestImage). Commands run on the guest's serial shell.
import { execa, type ResultPromise } from 'execa';

// by path, not '#test-support': that also loads vitest, and benchmarks use this file
import type { GuestImagePaths } from '../../../test-support/guest-image.js';

export { type GuestImagePaths, guestImage } from '../../../test-support/guest-image.js';

export interface GuestOptions extends GuestImagePaths {
  /** network namespace the tap lives in */
  netns: string;
  tap: string;
  mac: string;
  /** ip/len for eth0 */
  ip: string;
  name: string;
  /** ms to wait for the ready marker (default 120 s: TCG on a busy machine) */
  bootTimeout?: number;
}

export interface Guest {
  readonly name: string;
  /** runs a shell command on the serial console; resolves with its output and exit code */
  run(cmd: string, timeoutMs?: number): Promise<{ out: string; rc: number }>;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export async function startGuest(o: GuestOptions): Promise<Guest> {
  const proc: ResultPromise = execa(
    'ip',
    [
      'netns',
      'exec',
      o.netns,
      'qemu-system-x86_64',
      '-accel',
      'tcg',
      '-m',
      '160',
      '-nographic',
      '-no-reboot',
      '-kernel',
      o.kernel,
      '-initrd',
      o.initrd,
      '-append',
      `console=ttyS0 quiet panic=-1 mm.ip=${o.ip} mm.hostname=${o.name}`,
      '-netdev',
      `tap,id=n0,ifname=${o.tap},script=no,downscript=no`,
      '-device',
      `virtio-net-pci,netdev=n0,mac=${o.mac}`,
      '-serial',
      'stdio',
      '-monitor',
      'none',
    ],
    { reject: false, stdin: 'pipe', buffer: false },
  );
  let buf = '';
  const waiters = new Set<() => void>();
  proc.stdout?.on('data', (d: Buffer) => {
    buf += d.toString('utf8');
    for (const w of waiters) w();
  });
  const waitFor = (re: RegExp, timeoutMs: number, from: number) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const check = () => {
        const m = re.exec(buf.slice(from));
        if (m) {
          clearTimeout(t);
          waiters.delete(check);
          resolve(m);
        }
      };
      const t = setTimeout(() => {
        waiters.delete(check);
        reject(
          new Error(
            `guest ${o.name}: no ${re} within ${timeoutMs} ms; console:\n${buf.slice(-2000)}`,
          ),
        );
      }, timeoutMs);
      waiters.add(check);
      proc.then(() => {
        waiters.delete(check);
        clearTimeout(t);
        reject(new Error(`guest ${o.name} exited; console:\n${buf.slice(-2000)}`));
      });
      check();
    });
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    proc.kill('SIGKILL');
    await proc;
  };
  try {
    await waitFor(/MM-GUEST-READY/, o.bootTimeout ?? 120_000, 0);
  } catch (err) {
    await close();
    throw err;
  }
  let seq = 0;
  return {
    name: o.name,
    async run(cmd, timeoutMs = 60_000) {
      const id = `MMDONE${seq++}x`;
      const from = buf.length;
      // the marker is split in the typed line so its echo never matches
      proc.stdin?.write(`${cmd}; echo ${id.slice(0, 3)}''${id.slice(3)} $?\n`);
      const m = await waitFor(new RegExp(`${id} (\\d+)`), timeoutMs, from);
      const out = buf.slice(from, from + m.index);
      return { out, rc: Number(m[1]) };
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
