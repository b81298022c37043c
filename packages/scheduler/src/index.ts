// @mm/scheduler: minimega's least-loaded-first VM placement as a pure function.
export {
  AndroidSlotsError,
  CoscheduleError,
  DoesNotFitError,
  EmptyQueueError,
  InvalidInputError,
  NoHostsError,
  NonexistentColocateError,
  SchedulerError,
  UnknownHostError,
} from './errors.js';
export { type PlanResult, plan, planOrThrow } from './plan.js';
export {
  type Assignment,
  type HostLoad,
  HostLoadSchema,
  LOAD_METHODS,
  type LoadMethod,
  type Placement,
  type Policy,
  type QueuedVm,
  QueuedVmSchema,
} from './types.js';
