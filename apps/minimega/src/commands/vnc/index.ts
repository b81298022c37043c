// The vnc command module: the VNC proxy (`<base>/vnc.sock` and mesh streams
// 'vnc/1', so miniweb reaches every VM's console through the daemon that
// hosts it) and the `vnc` record/play commands (spec Part B).
import { isAbsolute, join } from 'node:path';
import type { CallEnv, Command, Output } from '@mm/cli-grammar';
import type { Mesh } from '@mm/meshage';
import { type KbEvent, parseKbEvent, typeLines } from '@mm/qemu';
import type { CommandModule, Daemon } from '../../context.js';
import { meshPeers, meshService } from '../mesh/service.js';
import { VNC_STREAM_PROTOCOL, VncProxy } from './proxy.js';
import { findVncTarget, VncVmNotFoundError } from './resolve.js';

export { VNC_STREAM_PROTOCOL, VncProxy } from './proxy.js';
export { RfbClientParser, VIEW_ONLY_KINDS } from './rfb-input.js';

export const vncModule: CommandModule = async (d: Daemon) => {
  const stateOf = async (ns: string) => (await d.namespaces.getOrCreate(ns)).vnc;
  const nsOf = (tag: string) => tag || d.namespaces.active;
  const filePath = (f: string) => (isAbsolute(f) ? f : join(d.flags.filepath, f));
  const mesh = () => meshService(d)?.node as Mesh | undefined;

  const recordInput = (ns: string, vm: string, e: KbEvent) =>
    d.namespaces.get(ns)?.vnc.recordInput(vm, e);

  const proxy = new VncProxy({
    base: d.flags.base,
    hostname: d.hostname,
    mesh,
    log: (level, msg) => d.log[level](msg),
    onInput: (ns, vm, m) => {
      if (m.kind === 'KeyEvent')
        recordInput(ns, vm, { type: 'KeyEvent', down: m.down, key: m.key });
      else if (m.kind === 'PointerEvent')
        recordInput(ns, vm, { type: 'PointerEvent', mask: m.mask, x: m.x, y: m.y });
    },
  });
  await proxy.listen();
  const node = mesh();
  const unhandle = node?.handleStream?.(VNC_STREAM_PROTOCOL, (stream, ctx) => {
    void proxy.serve(stream, ctx.signal);
  });
  d.onShutdown('vnc', async () => {
    unhandle?.();
    for (const n of d.namespaces.names()) await d.namespaces.get(n)?.vnc.stopAll();
    await proxy.close();
  });
  d.onClearAll('vnc', async () => {
    for (const n of d.namespaces.names()) await d.namespaces.get(n)?.vnc.stopAll();
  });

  const socketOf = async (ns: string, vm: string) =>
    (await findVncTarget(d.flags.base, ns, vm)).socket;

  /**
   * A VM command for a VM that is not here: typed on this node, it runs on
   * the mesh peers (where the VM's host answers and the others say not
   * found); run on behalf of a peer, the local error stands.
   */
  const here =
    (fn: (cmd: Command, out: Output, env: CallEnv) => Promise<void>) =>
    async (cmd: Command, out: Output, env: CallEnv): Promise<void> => {
      try {
        await fn(cmd, out, env);
      } catch (e) {
        const missing = e instanceof VncVmNotFoundError || / not found/.test((e as Error).message);
        const svc = d.services.mesh;
        const others = meshPeers(d);
        if (!missing || cmd.source !== '' || !svc || others.length === 0) throw e;
        cmd.namespace = nsOf(cmd.namespace);
        const rows = await svc.runOn(others, cmd, env);
        const ok = rows.filter((r) => r.error === '');
        const real = rows.filter((r) => r.error !== '' && !/ not found/.test(r.error));
        if (ok.length === 0 && real.length === 0) throw e;
        out.emit([...ok, ...real]);
      }
    };

  d.cli.register({
    helpShort: 'record VNC kb or fb',
    helpLong: `Record keyboard and mouse events (kb) or the framebuffer (fb) of a VM on this host.
kb files hold one "<delay ns>:<event>" per line (see "vnc play"); fb files are a gzip
stream of the server's RFB updates. A relative file is under -filepath.`,
    patterns: ['vnc <record,> <kb,fb> <vm name> <filename>'],
    call: here(async (cmd) => {
      const ns = nsOf(cmd.namespace);
      const vm = cmd.stringArgs.vm!;
      await (await stateOf(ns)).startRecording(
        cmd.boolArgs.kb ? 'kb' : 'fb',
        vm,
        filePath(cmd.stringArgs.filename!),
        () => socketOf(ns, vm),
      );
    }),
  });

  d.cli.register({
    helpShort: 'stop a VNC recording or playback',
    patterns: ['vnc <stop,> <kb,fb> <vm name>', 'vnc <stop,> <vm target>'],
    call: here(async (cmd) => {
      const ns = nsOf(cmd.namespace);
      const st = await stateOf(ns);
      const vm = cmd.stringArgs.vm!;
      if (cmd.boolArgs.kb || cmd.boolArgs.fb)
        await st.stopRecording(cmd.boolArgs.kb ? 'kb' : 'fb', vm);
      else await st.stopPlayback(vm);
    }),
  });

  const beginPlayback = async (ns: string, vm: string, file: string, lines?: string[]) =>
    (await stateOf(ns)).startPlayback({
      vm,
      file,
      socket: () => socketOf(ns, vm),
      log: (m) => d.log.info(m),
      ...(lines ? { lines } : {}),
    });

  d.cli.register({
    helpShort: 'play back VNC kb recordings',
    helpLong: `Play a kb file into a VM: lines "<delay>:KeyEvent,<down>,<key>",
"<delay>:PointerEvent,<mask>,<x>,<y>", "<delay>:LoadFile,<file>"; <delay> in ns or a Go
duration. "vnc type" types text; pause, continue, step, getstep and inject control a playback.`,
    patterns: ['vnc <play,> <vm name> <filename>'],
    call: here(async (cmd) => {
      await beginPlayback(
        nsOf(cmd.namespace),
        cmd.stringArgs.vm!,
        filePath(cmd.stringArgs.filename!),
      );
    }),
  });

  d.cli.register({
    helpShort: 'type text into a VM over VNC',
    patterns: ['vnc <type,> <vm name> <text>...'],
    call: here(async (cmd) => {
      const text = (cmd.listArgs?.text ?? [cmd.stringArgs.text ?? '']).join(' ');
      if (text === '') return;
      const lines = typeLines(text);
      const p = await beginPlayback(nsOf(cmd.namespace), cmd.stringArgs.vm!, '<typed>', lines);
      await p.done;
    }),
  });

  d.cli.register({
    helpShort: 'control a VNC playback',
    patterns: ['vnc <pause,continue,step,getstep> <vm name>'],
    call: here(async (cmd, out) => {
      const st = await stateOf(nsOf(cmd.namespace));
      const vm = cmd.stringArgs.vm!;
      const p = st.playback(vm);
      if (!p) throw new Error(`kb playback not found for ${vm}`);
      if (cmd.boolArgs.pause) p.pause();
      else if (cmd.boolArgs.continue) p.resume();
      else if (cmd.boolArgs.step) p.stepNow();
      else out.respond({ header: ['name', 'step'], tabular: [[vm, p.step]] });
    }),
  });

  d.cli.register({
    helpShort: 'inject one VNC event',
    patterns: ['vnc <inject,> <vm name> <event>'],
    call: here(async (cmd) => {
      const ns = nsOf(cmd.namespace);
      const vm = cmd.stringArgs.vm!;
      const e = parseKbEvent(cmd.stringArgs.event!);
      const p = (await stateOf(ns)).playback(vm);
      if (p) {
        if (e.type === 'LoadFile')
          throw new Error('LoadFile cannot be injected into a running playback');
        p.inject(e);
        return;
      }
      if (e.type === 'LoadFile') {
        await beginPlayback(ns, vm, filePath(e.path));
        return;
      }
      const line = `0:${cmd.stringArgs.event!}`;
      const once = await beginPlayback(ns, vm, '<inject>', [line]);
      await once.done;
    }),
  });

  d.cli.register({
    helpShort: 'list VNC recordings and playbacks',
    patterns: ['vnc'],
    async call(cmd, out, env) {
      const rows = (await stateOf(nsOf(cmd.namespace))).list();
      out.respond({ header: ['name', 'type', 'time', 'filename'], tabular: rows });
      // every host's recordings, as the original's broadcast `vnc`
      const svc = d.services.mesh;
      const others = meshPeers(d);
      if (cmd.source === '' && svc && others.length > 0) {
        cmd.namespace = nsOf(cmd.namespace);
        const remote = await svc.runOn(others, cmd, env);
        out.emit(remote.filter((r) => r.error === '' && (r.tabular?.length ?? 0) > 0));
      }
    },
  });

  d.cli.register({
    helpShort: 'stop all VNC recordings and playbacks of the namespace',
    patterns: ['clear vnc'],
    async call(cmd) {
      await (await stateOf(nsOf(cmd.namespace))).stopAll();
    },
  });
};
