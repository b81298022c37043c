// Requests made in the same turn of the event loop, handed over as one batch
// (tap creates and deletes of a `vm launch` of many VMs: one switch batch).

/** How a batch settles one request. */
export interface Waiter<T> {
  resolve(value: T): void;
  reject(err: unknown): void;
}

/**
 * `submit(request)`: every request submitted before the next setImmediate
 * goes to `run` together; `run` settles each one, and if it throws, every
 * request of its batch is rejected with that error.
 */
export function coalesce<R, T>(
  run: (batch: (R & Waiter<T>)[]) => Promise<void>,
): (request: R) => Promise<T> {
  let pending: (R & Waiter<T>)[] = [];
  let scheduled = false;
  return (request) =>
    new Promise<T>((resolve, reject) => {
      pending.push({ ...request, resolve, reject });
      if (scheduled) return;
      scheduled = true;
      setImmediate(() => {
        scheduled = false;
        const batch = pending;
        pending = [];
        run(batch).catch((err: unknown) => {
          for (const p of batch) p.reject(err);
        });
      });
    });
}
