// Per-VM phase timestamps on a diagnostics channel, for benchmarks and
// debugging of where an operation waits (`vm start all`: cont sent, reply,
// state written, record written). Costs one `hasSubscribers` check per phase
// when nobody listens; a subscriber (tools/bench/vm-phase-trace.mjs, loaded
// into the daemon with --import) gets { vm, op, phase, t }.
import { channel } from 'node:diagnostics_channel';

export const VM_PHASE_CHANNEL = 'mm:qemu:vm-phase';

/** What a subscriber receives: `t` is wall-clock ms (timeOrigin + now, sub-ms), comparable across processes. */
export interface VmPhaseEvent {
  vm: number;
  op: string;
  phase: string;
  t: number;
}

const ch = channel(VM_PHASE_CHANNEL);

/** true while someone listens (a phase that costs work to observe is only set up then) */
export function tracing(): boolean {
  return ch.hasSubscribers;
}

/** `t`: when it happened, when that was not now (QEMU's own timestamp of an event) */
export function tracePhase(vm: number, op: string, phase: string, t?: number): void {
  if (!ch.hasSubscribers) return;
  ch.publish({ vm, op, phase, t: t ?? performance.timeOrigin + performance.now() } as VmPhaseEvent);
}
