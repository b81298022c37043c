// Holds a host's file writes (each VM's `state` file and vm.json) back while
// a bulk operation's QMP commands are in flight: `vm start all` of 50 VMs
// otherwise issued ~350 file operations (open/write/close/rename) between
// the cont replies, each a trip through the daemon's event loop and a
// thread-pool thread taking CPU from the QEMUs still answering. The writes
// follow the answer instead (a record one change behind is what `-recover`
// already corrects from QEMU's query-status).

export class WriteGate {
  #holds = 0;
  #open: (() => void) | undefined;
  #passed: Promise<void> | undefined;

  /** closes the gate until every hold is released; returns the release (idempotent) */
  hold(): () => void {
    if (this.#holds++ === 0) {
      this.#passed = new Promise((r) => {
        this.#open = r;
      });
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--this.#holds > 0) return;
      const open = this.#open;
      this.#open = undefined;
      this.#passed = undefined;
      // after the current turn: the operation's answer goes out first
      setImmediate(() => open?.());
    };
  }

  /** undefined while open (no extra tick), else resolves once the gate opens */
  passed(): Promise<void> | undefined {
    return this.#passed;
  }
}
