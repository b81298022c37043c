// One error class per condition, each with a literal `code`: callers match the
// code, never the message. Messages keep minimega's words (scheduler.md §5)
// where minimega has the condition.

export abstract class SchedulerError extends Error {
  abstract readonly code: string;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** plan() got no hosts (none answered with stats). */
export class NoHostsError extends SchedulerError {
  readonly code = 'ERR_NO_HOSTS' as const;
  constructor() {
    super('no hosts to schedule VMs on');
  }
}

/** plan() got an empty queue. */
export class EmptyQueueError extends SchedulerError {
  readonly code = 'ERR_EMPTY_QUEUE' as const;
  constructor() {
    super('namespace must contain at least one queued VM to launch VMs');
  }
}

/** Malformed input (duplicate host, negative counts, a host with 0 CPUs...). */
export class InvalidInputError extends SchedulerError {
  readonly code = 'ERR_INVALID_INPUT' as const;
}

/** A VM pinned (`schedule`) to a host that is not among the hosts. */
export class UnknownHostError extends SchedulerError {
  readonly code = 'ERR_UNKNOWN_HOST' as const;
  constructor(readonly host: string) {
    super(`VM scheduled on unknown host: \`${host}\``);
  }
}

/** A coschedule limit cannot be kept. `limit` is coschedule + 1, as minimega prints it. */
export class CoscheduleError extends SchedulerError {
  readonly code = 'ERR_COSCHEDULE' as const;
  constructor(
    readonly host: string,
    readonly limit: number,
  ) {
    super(`too many VMs scheduled on ${host} for coschedule requirement of ${limit}`);
  }
}

/** VMs colocated with VMs that are neither queued nor launched. `anchors` sorted. */
export class NonexistentColocateError extends SchedulerError {
  readonly code = 'ERR_NONEXISTENT_COLOCATE' as const;
  constructor(readonly anchors: readonly string[]) {
    super(`nonexistent colocate VMs: [${anchors.join(', ')}]`);
  }
}

/** Android VMs beyond the per-host slots (three wordings, as minimega). */
export class AndroidSlotsError extends SchedulerError {
  readonly code = 'ERR_ANDROID_SLOTS' as const;
  static singleHost(n: number, host: string, slots: number): AndroidSlotsError {
    return new AndroidSlotsError(
      `cannot schedule ${n} Android VMs on host ${host}; each host supports at most ${slots} concurrent Android VMs`,
    );
  }
  static host(host: string, need: number, used: number, slots: number): AndroidSlotsError {
    return new AndroidSlotsError(
      `host ${host} has insufficient Android VM slots: need ${need}, ${used}/${slots} already assigned`,
    );
  }
  static anyHost(need: number, slots: number): AndroidSlotsError {
    return new AndroidSlotsError(
      `no host has available Android VM slots for colocated group requiring ${need} Android slot(s); each host supports at most ${slots} concurrent Android VMs`,
    );
  }
}

/** A VM (with what is colocated on it) exceeds a capacity cap on every allowed host. */
export class DoesNotFitError extends SchedulerError {
  readonly code = 'ERR_DOES_NOT_FIT' as const;
  constructor(
    readonly vm: string,
    readonly why: string,
  ) {
    super(`does not fit: ${why}`);
  }
}
