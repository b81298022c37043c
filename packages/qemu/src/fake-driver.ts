// A fake VM driver for fast tests: no QEMU, an in-memory QMP that tracks
// run state, screendumps a tiny PPM, backs up disks and migrates state to
// small files, reports made-up process figures, and can be told to crash or
// fail.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Accel } from './argv.js';
import type { StartVmOptions, VmDriver, VmExit, VmMonitor, VmProcess } from './driver.js';
import { QemuStartError, QmpClosedError, QmpCommandError } from './errors.js';
import type { ProcFigures } from './host/top.js';
import type { QmpReply } from './qmp.js';

export interface FakeVmProcess extends VmProcess {
  /** simulate QEMU dying on its own */
  crash(reason?: string): void;
  /** commands received, in order (QMP's, and `background`/`foreground`) */
  readonly commands: string[];
}

export interface FakeDriver extends VmDriver {
  /** every process started, by VM id (latest) */
  readonly processes: Map<number, FakeVmProcess>;
  /** make the next start() of this VM id fail */
  failNextStart(id: number, message: string): void;
  readonly overlays: string[];
}

let nextPid = 100000;

export function createFakeDriver(): FakeDriver {
  const processes = new Map<number, FakeVmProcess>();
  const failures = new Map<number, string>();
  const overlays: string[] = [];

  async function start(s: StartVmOptions): Promise<VmProcess> {
    const fail = failures.get(s.id);
    if (fail !== undefined) {
      failures.delete(s.id);
      throw new QemuStartError(fail);
    }
    let status = 'prelaunch';
    let alive = true;
    let done!: (e: VmExit) => void;
    const exited = new Promise<VmExit>((r) => {
      done = r;
    });
    const commands: string[] = [];
    let migrated = false;
    const started = performance.now();
    const exec = async (command: string, args?: Record<string, unknown>): Promise<unknown> => {
      if (!alive) throw new QmpClosedError('qmp connection closed');
      commands.push(command);
      switch (command) {
        case 'cont':
          status = 'running';
          return {};
        case 'stop':
          status = 'paused';
          return {};
        case 'query-status':
          return { running: status === 'running', singlestep: false, status };
        case 'screendump': {
          // 2x2 PPM: red, green / blue, white
          const hdr = Buffer.from('P6\n2 2\n255\n');
          const px = Buffer.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255]);
          await writeFile(String(args?.filename), Buffer.concat([hdr, px]));
          return {};
        }
        case 'eject':
        case 'blockdev-change-medium':
          return {};
        case 'migrate': {
          // `exec:cat > '<path>'` (the real driver's shell runs it; here it is parsed)
          const m = /^exec:cat > '(.*)'$/s.exec(String(args?.uri));
          if (!m) throw new QmpCommandError('GenericError', `unsupported uri ${String(args?.uri)}`);
          const path = m[1]!.replaceAll(`'\\''`, "'");
          await mkdir(dirname(path), { recursive: true });
          await writeFile(path, `fake state of vm ${s.id}\n`);
          migrated = true;
          status = 'postmigrate';
          return {};
        }
        case 'query-block':
          return s.config.disks.map((d, i) => ({
            device: `drive${i}`,
            inserted: { file: d.snapshotPath || d.path },
          }));
        case 'drive-backup': {
          const target = String(args?.target);
          await mkdir(dirname(target), { recursive: true });
          await writeFile(target, `fake backup of ${String(args?.device)}\n`);
          return {};
        }
        case 'query-block-jobs':
          return [];
        case 'query-migrate':
          return migrated
            ? { status: 'completed', ram: { transferred: s.config.memory, total: s.config.memory } }
            : {};
        case 'human-monitor-command':
          return '';
        default:
          throw new QmpCommandError('CommandNotFound', `The command ${command} has not been found`);
      }
    };
    const monitor: VmMonitor = {
      execute: exec,
      async raw(msg): Promise<QmpReply> {
        try {
          return {
            return: await exec(String(msg.execute), msg.arguments as Record<string, unknown>),
          };
        } catch (err) {
          if (err instanceof QmpCommandError)
            return { error: { class: err.errorClass, desc: err.desc } };
          throw err;
        }
      },
      async hmp(line) {
        commands.push(`hmp:${line}`);
        return '';
      },
    };
    const proc: FakeVmProcess = {
      pid: nextPid++,
      argv: ['fake-qemu', '-name', String(s.id)],
      monitor,
      exited,
      commands,
      async usage() {
        // made up, but moving: 10 % of a CPU since start, memory as configured
        const ticks = Math.floor((performance.now() - started) / 100);
        const mem = s.config.memory * 1024 * 1024;
        const fig: ProcFigures = { ticks, guestTicks: 0, virt: mem * 2, res: mem, shr: 4096 };
        return new Map([[this.pid, fig]]);
      },
      background(on) {
        commands.push(on ? 'background' : 'foreground');
      },
      async kill() {
        if (!alive) return;
        alive = false;
        done({ expected: true, reason: 'killed' });
      },
      crash(reason = 'qemu killed by SIGKILL') {
        if (!alive) return;
        alive = false;
        done({ expected: false, reason });
      },
    };
    processes.set(s.id, proc);
    return proc;
  }

  return {
    processes,
    overlays,
    start,
    failNextStart: (id, message) => void failures.set(id, message),
    async createOverlay(o) {
      overlays.push(o.overlay);
      await writeFile(o.overlay, '');
    },
    accel: async (): Promise<Accel> => 'tcg',
  };
}
