// One namespace's VNC recordings and playbacks, by VM (spec Part B): kb
// recordings fed by the caller's input events, fb recordings and kb
// playbacks on their own RFB sessions to the VM's socket. The minimega
// namespace keeps one of these; the `vnc` commands parse, call and render.
import type { KbEvent } from './kb.js';
import { FbRecording, goDurationNs, KbRecording, Playback } from './sessions.js';

export type VncRecordingKind = 'kb' | 'fb';

export interface VncPlaybackOptions {
  vm: string;
  file: string;
  /** the VM's VNC unix socket, resolved once the VM is known to be free */
  socket: () => Promise<string>;
  log: (msg: string) => void;
  /** lines to play instead of the file (vnc type, inject) */
  lines?: string[];
}

export class VncSessions {
  readonly kb = new Map<string, KbRecording>();
  readonly fb = new Map<string, FbRecording>();
  readonly play = new Map<string, Playback>();

  /** feeds a key or pointer event to `vm`'s kb recording, if one runs */
  recordInput(vm: string, e: KbEvent): void {
    this.kb.get(vm)?.record(e);
  }

  /**
   * Starts a kb or fb recording of `vm` into `file`; `socket` resolves the
   * VM's VNC socket (it throws when the VM is not here).
   */
  async startRecording(
    kind: VncRecordingKind,
    vm: string,
    file: string,
    socket: () => Promise<string>,
  ): Promise<void> {
    if (this[kind].has(vm)) throw new Error(`${kind} recording for ${vm} already running`);
    if (kind === 'kb') {
      await socket();
      this.kb.set(vm, new KbRecording(vm, file));
    } else {
      this.fb.set(vm, await FbRecording.begin(vm, file, await socket()));
    }
  }

  async stopRecording(kind: VncRecordingKind, vm: string): Promise<void> {
    const r = this[kind].get(vm);
    if (!r) throw new Error(`${kind} recording ${vm} not found`);
    this[kind].delete(vm);
    await r.close();
  }

  /** `vm`'s running (or paused) playback */
  playback(vm: string): Playback | undefined {
    const p = this.play.get(vm);
    return p && p.state !== 'DONE' ? p : undefined;
  }

  /** starts a kb playback; its events also feed `vm`'s kb recording */
  async startPlayback(opts: VncPlaybackOptions): Promise<Playback> {
    const { vm } = opts;
    if (this.playback(vm)) throw new Error(`kb playback ${vm} already playing`);
    const p = await Playback.begin({
      vm,
      file: opts.file,
      socket: await opts.socket(),
      log: opts.log,
      onEvent: (e) => this.recordInput(vm, e),
      ...(opts.lines ? { lines: opts.lines } : {}),
    });
    this.play.set(vm, p);
    void p.done.then(() => {
      if (this.play.get(vm) === p) this.play.delete(vm);
    });
    return p;
  }

  async stopPlayback(vm: string): Promise<void> {
    const p = this.play.get(vm);
    if (!p) throw new Error(`kb playback not found for ${vm}`);
    this.play.delete(vm);
    await p.stop();
  }

  /** rows of `vnc`: name, type, time, filename, sorted by name */
  list(now: bigint = process.hrtime.bigint()): string[][] {
    const rows: string[][] = [];
    for (const r of this.kb.values())
      rows.push([r.vm, 'record kb', goDurationNs(now - r.start), r.file]);
    for (const r of this.fb.values())
      rows.push([r.vm, 'record fb', goDurationNs(now - r.start), r.file]);
    for (const p of this.play.values()) {
      if (p.state === 'DONE') continue;
      rows.push([
        p.vm,
        'playback kb',
        p.state === 'PAUSED' ? 'PAUSED' : `${goDurationNs(p.remainingNs)} remaining`,
        p.file || 'N/A',
      ]);
    }
    return rows.sort((a, b) => (a[0]! < b[0]! ? -1 : a[0]! > b[0]! ? 1 : 0));
  }

  /** stops every recording and playback (files finished) */
  async stopAll(): Promise<void> {
    const all: Promise<unknown>[] = [];
    for (const r of this.kb.values()) all.push(r.close());
    for (const r of this.fb.values()) all.push(r.close());
    for (const p of this.play.values()) all.push(p.stop().catch(() => {}));
    this.kb.clear();
    this.fb.clear();
    this.play.clear();
    await Promise.all(all);
  }
}
