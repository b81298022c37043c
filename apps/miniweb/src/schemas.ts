// Every JSON shape miniweb takes or gives, in zod: the one source for input
// validation, for the tests' shape checks and for /api/v1/openapi.json.
import { z } from 'zod';

export const RoleSchema = z.enum(['admin', 'viewer']).meta({ id: 'Role' });
export type Role = z.infer<typeof RoleSchema>;

export const VmStateSchema = z
  .enum(['BUILDING', 'RUNNING', 'PAUSED', 'QUIT', 'ERROR'])
  .meta({ id: 'VmState' });

export const VmSchema = z
  .object({
    name: z.string(),
    namespace: z.string().describe('the namespace the VM belongs to'),
    host: z.string().describe('the mesh host running the VM'),
    id: z.number().int().describe('the VM id on its host'),
    state: z.string().describe('BUILDING, RUNNING, PAUSED, QUIT or ERROR'),
    type: z.string().describe('kvm or container'),
    vcpus: z.number().int(),
    memory: z.number().int().describe('MB'),
    vlans: z.array(z.string()),
    ips: z.array(z.string()),
    tags: z.record(z.string(), z.string()),
    uptime: z.number().describe('seconds since launch'),
  })
  .meta({ id: 'Vm' });
export type Vm = z.infer<typeof VmSchema>;

export const WarningSchema = z
  .object({ host: z.string(), message: z.string() })
  .meta({ id: 'Warning', description: 'a host that answered with an error' });

export const VmListSchema = z
  .object({ vms: z.array(VmSchema), warnings: z.array(WarningSchema) })
  .meta({ id: 'VmList' });
export type VmList = z.infer<typeof VmListSchema>;

export const HostSchema = z
  .object({
    name: z.string(),
    cpus: z.number().int(),
    load: z.array(z.number()).describe('1, 5 and 15 minute load averages'),
    memused: z.number().describe('MB'),
    memtotal: z.number().describe('MB'),
    rx: z.number().describe('MB/s over VM taps'),
    tx: z.number().describe('MB/s over VM taps'),
    vms: z.number().int(),
    vmlimit: z.number().int(),
    cpucommit: z.number().int(),
    memcommit: z.number().int(),
    netcommit: z.number().int(),
    uptime: z.number().describe('seconds'),
  })
  .meta({ id: 'Host' });
export type Host = z.infer<typeof HostSchema>;

export const HostListSchema = z
  .object({ hosts: z.array(HostSchema), warnings: z.array(WarningSchema) })
  .meta({ id: 'HostList' });

export const MeshSchema = z
  .object({
    local: z.string().describe('the host miniweb talks to'),
    nodes: z.array(z.string()),
    edges: z.array(z.tuple([z.string(), z.string()])).describe('each link once'),
  })
  .meta({ id: 'Mesh' });
export type MeshGraph = z.infer<typeof MeshSchema>;

export const VlanSchema = z
  .object({ host: z.string(), namespace: z.string(), alias: z.string(), vlan: z.number().int() })
  .meta({ id: 'Vlan' });
export const VlanListSchema = z.object({ vlans: z.array(VlanSchema) }).meta({ id: 'VlanList' });

export const NamespaceSchema = z
  .object({ name: z.string(), vlans: z.string(), active: z.boolean() })
  .meta({ id: 'Namespace' });
export const NamespaceListSchema = z
  .object({ namespaces: z.array(NamespaceSchema) })
  .meta({ id: 'NamespaceList' });

export const WhoAmISchema = z
  .object({ role: RoleSchema, namespace: z.string().describe("the pinned namespace, or ''") })
  .meta({ id: 'WhoAmI' });

export const SessionRequestSchema = z
  .object({ token: z.string().min(1).max(512) })
  .meta({ id: 'SessionRequest' });

/** A `vm config` value: a word, a number, a flag or a list (disks, nets, append). */
const ConfigValue = z.union([z.string(), z.number(), z.boolean(), z.array(z.string())]);

const VM_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

export const LaunchRequestSchema = z
  .object({
    names: z
      .array(z.string().regex(VM_NAME, 'a VM name: letters, digits, _ . - (max 63)'))
      .min(1)
      .max(1000),
    type: z.enum(['kvm', 'container']).default('kvm'),
    config: z
      .record(z.string().regex(/^[a-z][a-z0-9_-]*$/, 'a `vm config` field name'), ConfigValue)
      .default({})
      .describe('`vm config` fields, e.g. {"memory": 512, "kernel": "/k", "net": ["100"]}'),
    start: z.boolean().default(false).describe('start the VMs once launched'),
  })
  .meta({ id: 'LaunchRequest' });
export type LaunchRequest = z.infer<typeof LaunchRequestSchema>;

export const CommandRequestSchema = z
  .object({ command: z.string().min(1).max(100_000) })
  .meta({ id: 'CommandRequest' });

/** One response row as the control socket gives it. */
export const WireRespSchema = z
  .object({
    Host: z.string(),
    Response: z.string(),
    Header: z.array(z.string()).nullable(),
    Tabular: z.array(z.array(z.string())).nullable(),
    Error: z.string(),
    Data: z.unknown(),
  })
  .meta({ id: 'Response' });
export const CommandResultSchema = z
  .object({ responses: z.array(WireRespSchema) })
  .meta({ id: 'CommandResult' });

export const ActionResultSchema = z
  .object({ name: z.string(), action: z.string(), vm: VmSchema.optional() })
  .meta({ id: 'ActionResult' });

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      host: z.string().optional(),
    }),
  })
  .meta({ id: 'Error' });

// path and query parameters
export const NameParams = z.object({ name: z.string().min(1).max(256) });
export const ActionParams = NameParams.extend({ action: z.enum(['start', 'stop', 'kill']) });
export const NamespaceQuery = z.object({
  namespace: z.string().max(256).optional().describe('the namespace (default: the active one)'),
});
export const ScreenshotQuery = NamespaceQuery.extend({
  size: z.coerce.number().int().min(0).max(4096).default(0).describe('max width/height; 0 = full'),
});
