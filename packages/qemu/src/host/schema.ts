// zod schemas of the VmHost seam's data, for every boundary it crosses
// (the mesh, vm.json read back by -recover).
import { z } from 'zod';
import { vmConfigSchema } from '../config.js';
import type { HostLoad, SaveStatus, VmRecord, VmTopRow } from './types.js';

const nonneg = z.number().int().nonnegative();

export const vmTypeSchema = z.enum(['kvm', 'container']);
export const vmStateSchema = z.enum(['BUILDING', 'RUNNING', 'PAUSED', 'QUIT', 'ERROR']);

export const vmRecordSchema = z.object({
  id: nonneg,
  name: z.string(),
  namespace: z.string(),
  host: z.string(),
  type: vmTypeSchema,
  state: vmStateSchema,
  uuid: z.string(),
  pid: nonneg,
  launchTime: z.number(),
  instanceDir: z.string(),
  config: vmConfigSchema,
  taps: z.array(
    z.object({
      tap: z.string(),
      bridge: z.string(),
      vlan: z.number().int(),
      mac: z.string(),
      qos: z.string().optional(),
    }),
  ),
  tags: z.record(z.string(), z.string()),
  vncPort: nonneg,
  consolePort: nonneg,
  ccActive: z.boolean(),
  hotplug: z.array(z.object({ id: nonneg, file: z.string(), version: z.string() })),
  sockets: z.object({
    qmp: z.string().optional(),
    vnc: z.string().optional(),
    console: z.string().optional(),
  }),
  error: z.string(),
}) satisfies z.ZodType<VmRecord>;

export const hostLoadSchema = z.object({
  name: z.string(),
  vms: nonneg,
  cpucommit: nonneg,
  memcommit: nonneg,
  netcommit: nonneg,
  cpus: nonneg,
  memtotal: nonneg,
  vmlimit: nonneg,
  memovercommit: z.number().nonnegative().optional(),
}) satisfies z.ZodType<HostLoad>;

export const saveStatusSchema = z.object({
  id: nonneg,
  name: z.string(),
  status: z.string(),
  complete: z.string(),
}) satisfies z.ZodType<SaveStatus>;

const rate = z.number().nonnegative();

export const vmTopRowSchema = z.object({
  id: nonneg,
  name: z.string(),
  namespace: z.string(),
  virt: nonneg,
  res: nonneg,
  shr: nonneg,
  cpu: rate,
  vcpu: rate,
  cpuTimeMs: nonneg,
  procs: nonneg,
  rx: rate,
  tx: rate,
}) satisfies z.ZodType<VmTopRow>;
