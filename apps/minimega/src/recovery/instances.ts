// The VMs a (possibly crashed) daemon left under <base>: one instance dir
// `<base>/<id>` each, holding `vm.json` (the VmRecord the local VmHost
// writes atomically on every change, contract 4) and QEMU's own `qemu.pid`.
// Files from disk cross a boundary: every record is validated with zod and
// a bad one is reported, never trusted.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';

const tapSchema = z.object({
  tap: z.string(),
  bridge: z.string(),
  vlan: z.number().int(),
  mac: z.string(),
});

/** The fields of a VmRecord that nuke and recover rely on; the rest passes through. */
export const vmRecordFileSchema = z
  .object({
    id: z.number().int().nonnegative(),
    name: z.string(),
    namespace: z.string(),
    type: z.enum(['kvm', 'container']),
    state: z.string(),
    uuid: z.string(),
    pid: z.number().int().nonnegative(),
    instanceDir: z.string(),
    taps: z.array(tapSchema),
    sockets: z
      .object({
        qmp: z.string().optional(),
        vnc: z.string().optional(),
        console: z.string().optional(),
      })
      .partial(),
  })
  .passthrough();

export type VmRecordFile = z.infer<typeof vmRecordFileSchema>;

export interface Instance {
  id: number;
  dir: string;
  /** the validated vm.json, when there is one */
  record?: VmRecordFile;
  /** why vm.json could not be used ('' when fine or absent) */
  problem: string;
  /** pid from QEMU's -pidfile (0 when none) */
  qemuPid: number;
  /** tap names the instance recorded (vm.json, else the `taps` file) */
  taps: string[];
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Every `<base>/<id>` instance dir and what it records. */
export async function findInstances(base: string): Promise<Instance[]> {
  let names: string[];
  try {
    names = await readdir(base);
  } catch {
    return [];
  }
  const out: Instance[] = [];
  for (const n of names) {
    if (!/^\d+$/.test(n)) continue;
    const dir = join(base, n);
    const inst: Instance = { id: Number(n), dir, problem: '', qemuPid: 0, taps: [] };
    const json = await readText(join(dir, 'vm.json'));
    if (json !== undefined) {
      try {
        const r = vmRecordFileSchema.safeParse(JSON.parse(json));
        if (r.success) inst.record = r.data;
        else
          inst.problem = `invalid vm.json: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`;
      } catch (e) {
        inst.problem = `invalid vm.json: ${(e as Error).message}`;
      }
    }
    const pid = Number((await readText(join(dir, 'qemu.pid')))?.trim());
    if (Number.isInteger(pid) && pid > 0) inst.qemuPid = pid;
    if (inst.record) inst.taps = inst.record.taps.map((t) => t.tap).filter((t) => t !== '');
    else {
      const taps = await readText(join(dir, 'taps'));
      if (taps) inst.taps = taps.split('\n').filter((t) => t.trim() !== '');
    }
    out.push(inst);
  }
  return out.sort((a, b) => a.id - b.id);
}
