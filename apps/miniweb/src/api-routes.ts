// The REST API as data: one entry per route with its schemas and role. The
// server registers these entries and the OpenAPI document is built from
// them, so validation and documentation cannot drift apart.
import type { z } from 'zod';
import type { MiniwebData } from './data.js';
import {
  ActionParams,
  ActionResultSchema,
  CommandRequestSchema,
  CommandResultSchema,
  HostListSchema,
  LaunchRequestSchema,
  MeshSchema,
  NameParams,
  NamespaceListSchema,
  NamespaceQuery,
  type Role,
  ScreenshotQuery,
  VlanListSchema,
  VmListSchema,
  VmSchema,
  WhoAmISchema,
} from './schemas.js';

export interface RouteContext<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  /** the namespace to act in ('' = the daemon's active one) */
  namespace: string;
  role: Role;
  data: MiniwebData;
  /** the pinned namespace (-namespace), '' when none */
  pinned: string;
}

export interface ApiRoute<
  P extends z.ZodType = z.ZodType,
  Q extends z.ZodType = z.ZodType,
  B extends z.ZodType = z.ZodType,
> {
  method: 'GET' | 'POST' | 'DELETE';
  /** fastify path under /api/v1 (`:name` parameters) */
  path: string;
  summary: string;
  /** the least role allowed */
  role: Role;
  params?: P;
  query?: Q;
  body?: B;
  /** JSON response schema, or how the route answers otherwise */
  response: z.ZodType | 'png' | 'websocket';
  status?: number;
  handler?: (ctx: RouteContext<z.infer<P>, z.infer<Q>, z.infer<B>>) => Promise<unknown>;
}

function route<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType>(
  r: ApiRoute<P, Q, B>,
): ApiRoute {
  return r as unknown as ApiRoute;
}

export const API_ROUTES: ApiRoute[] = [
  route({
    method: 'GET',
    path: '/whoami',
    summary: 'the role of the caller and the pinned namespace',
    role: 'viewer',
    response: WhoAmISchema,
    handler: async (c) => ({ role: c.role, namespace: c.pinned }),
  }),
  route({
    method: 'GET',
    path: '/vms',
    summary: 'every VM of the namespace across the mesh',
    role: 'viewer',
    query: NamespaceQuery,
    response: VmListSchema,
    handler: (c) => c.data.listVms(c.namespace),
  }),
  route({
    method: 'POST',
    path: '/vms',
    summary: 'launch VMs from a JSON config (vm config fields, then vm launch)',
    role: 'admin',
    query: NamespaceQuery,
    body: LaunchRequestSchema,
    response: VmListSchema,
    status: 201,
    handler: async (c) => ({ vms: await c.data.launch(c.namespace, c.body), warnings: [] }),
  }),
  route({
    method: 'GET',
    path: '/vms/:name',
    summary: 'one VM',
    role: 'viewer',
    params: NameParams,
    query: NamespaceQuery,
    response: VmSchema,
    handler: (c) => c.data.getVm(c.namespace, c.params.name),
  }),
  route({
    method: 'DELETE',
    path: '/vms/:name',
    summary: 'kill and flush a VM',
    role: 'admin',
    params: NameParams,
    query: NamespaceQuery,
    response: ActionResultSchema,
    handler: async (c) => {
      await c.data.remove(c.namespace, c.params.name);
      return { name: c.params.name, action: 'delete' };
    },
  }),
  route({
    method: 'POST',
    path: '/vms/:name/:action',
    summary: 'start, stop (pause) or kill a VM',
    role: 'admin',
    params: ActionParams,
    query: NamespaceQuery,
    response: ActionResultSchema,
    handler: async (c) => ({
      name: c.params.name,
      action: c.params.action,
      vm: await c.data.action(c.namespace, c.params.name, c.params.action),
    }),
  }),
  route({
    method: 'GET',
    path: '/vms/:name/screenshot.png',
    summary: 'PNG of the screen (cached briefly; ETag, 304 when unchanged)',
    role: 'viewer',
    params: NameParams,
    query: ScreenshotQuery,
    response: 'png',
  }),
  route({
    method: 'GET',
    path: '/vms/:name/vnc',
    summary:
      "WebSocket carrying the VM's RFB stream, proxied through the daemon hosting it; viewers get a view-only session",
    role: 'viewer',
    params: NameParams,
    query: NamespaceQuery,
    response: 'websocket',
  }),
  route({
    method: 'GET',
    path: '/hosts',
    summary: 'load and commitments of every mesh host',
    role: 'viewer',
    query: NamespaceQuery,
    response: HostListSchema,
    handler: (c) => c.data.hosts(c.namespace),
  }),
  route({
    method: 'GET',
    path: '/mesh',
    summary: 'mesh nodes and links, the local node named',
    role: 'viewer',
    response: MeshSchema,
    handler: (c) => c.data.mesh(),
  }),
  route({
    method: 'GET',
    path: '/vlans',
    summary: 'VLAN aliases',
    role: 'viewer',
    query: NamespaceQuery,
    response: VlanListSchema,
    handler: (c) => c.data.vlans(c.namespace),
  }),
  route({
    method: 'GET',
    path: '/namespaces',
    summary: 'namespaces (only the pinned one with -namespace)',
    role: 'viewer',
    response: NamespaceListSchema,
    handler: (c) => c.data.namespaces(c.pinned),
  }),
  route({
    method: 'POST',
    path: '/command',
    summary: 'run one minimega command; the responses as the control socket gives them',
    role: 'admin',
    query: NamespaceQuery,
    body: CommandRequestSchema,
    response: CommandResultSchema,
    handler: (c) => c.data.command(c.namespace, c.body.command),
  }),
];
