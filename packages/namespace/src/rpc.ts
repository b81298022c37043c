// The VmHost seam over the mesh (contract 2): one message kind carries an
// operation and its arguments; the receiver validates them with zod before
// touching its VmHost, and answers with the value or the error's code and
// message (so a remote "vm not found" is matched by code like a local one).
import { defineKind } from '@mm/meshage';
import {
  hostLoadSchema,
  saveStatusSchema,
  vmConfigSchema,
  vmRecordSchema,
  vmTopRowSchema,
  vmTypeSchema,
} from '@mm/qemu';
import { z } from 'zod';

/** a VM or namespace name as a message carries it (the name rules apply where it is used) */
export const wireName = z.string().min(1).max(256);
const name = wireName;
const selector = z.object({ namespace: name, targets: z.array(z.string()).min(1) });
const ref = z.object({ namespace: name, name });
const netSchema = vmConfigSchema.shape.networks.element;
const path = z.string().min(1).max(4096);
/** `vm top` windows up to an hour */
export const MAX_TOP_MS = 3_600_000;

/** Request schemas per operation (argument tuples as VmHost takes them, without options). */
export const OP_ARGS = {
  launch: z.tuple([
    z.object({
      namespace: name,
      type: vmTypeSchema,
      names: z.array(z.string()).min(1).max(100_000),
      config: vmConfigSchema,
    }),
  ]),
  list: z.tuple([
    z.object({ namespace: name.optional(), targets: z.array(z.string()).optional() }),
  ]),
  start: z.tuple([selector]),
  stop: z.tuple([selector]),
  kill: z.tuple([selector]),
  flush: z.tuple([selector]),
  stats: z.tuple([]),
  tag: z.tuple([
    selector,
    z.discriminatedUnion('op', [
      z.object({ op: z.literal('set'), key: z.string(), value: z.string() }),
      z.object({ op: z.literal('clear'), key: z.string() }),
    ]),
  ]),
  screenshot: z.tuple([ref, z.number().int().nonnegative()]),
  qmp: z.tuple([ref, z.string()]),
  cdrom: z.tuple([
    selector,
    z.discriminatedUnion('op', [
      z.object({ op: z.literal('eject'), force: z.boolean() }),
      z.object({ op: z.literal('change'), path: z.string(), force: z.boolean() }),
    ]),
  ]),
  hotplug: z.tuple([
    selector,
    z.discriminatedUnion('op', [
      z.object({ op: z.literal('add'), file: z.string(), version: z.string(), serial: z.string() }),
      z.object({
        op: z.literal('remove'),
        disk: z.union([z.number().int().nonnegative(), z.literal('all')]),
      }),
    ]),
  ]),
  net: z.tuple([
    selector,
    z.discriminatedUnion('op', [
      z.object({ op: z.literal('add'), nics: z.array(netSchema) }),
      z.object({
        op: z.literal('connect'),
        position: z.number().int(),
        vlan: z.number().int(),
        alias: z.string(),
        bridge: z.string(),
      }),
      z.object({ op: z.literal('disconnect'), position: z.number().int() }),
    ]),
  ]),
  save: z.tuple([ref, z.object({ state: path, disk: path.optional() })]),
  saveStatus: z.tuple([name]),
  top: z.tuple([
    z.object({
      namespace: name.optional(),
      durationMs: z.number().int().nonnegative().max(MAX_TOP_MS),
    }),
  ]),
  destroyNamespace: z.tuple([name]),
} as const;

export type VmHostOp = keyof typeof OP_ARGS;
export const VM_HOST_OPS = Object.keys(OP_ARGS) as VmHostOp[];

/** Response schemas for operations that return data (the rest return nothing). */
export const OP_RESULTS = {
  launch: z.object({ records: z.array(vmRecordSchema), errors: z.array(z.string()) }),
  list: z.array(vmRecordSchema),
  stats: hostLoadSchema,
  screenshot: z.instanceof(Uint8Array),
  qmp: z.string(),
  saveStatus: z.array(saveStatusSchema),
  top: z.array(vmTopRowSchema),
} as const;

/** Ids the caller gives a call so it can cancel it (`cancel` op) when its own signal aborts. */
export const callId = z.string().min(1).max(64);

export const VmHostCall = defineKind('minimega.vmhost', {
  request: z.union([
    z.object({
      op: z.enum(VM_HOST_OPS as [VmHostOp, ...VmHostOp[]]),
      args: z.array(z.unknown()),
      /** set when the caller may cancel this call */
      id: callId.optional(),
    }),
    /** aborts the caller's own call `id` (a launch whose client went away) */
    z.object({ op: z.literal('cancel'), id: callId }),
  ]),
  response: z.union([
    z.object({ ok: z.literal(true), value: z.unknown() }),
    z.object({ ok: z.literal(false), code: z.string(), message: z.string() }),
  ]),
});

export type VmHostCallRequest = z.infer<NonNullable<typeof VmHostCall.request>>;
export type VmHostCallResponse = z.infer<NonNullable<typeof VmHostCall.response>>;
