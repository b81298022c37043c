// `debug`: the runtime's figures, heap snapshots and CPU profiles (the
// original shows Go's; these are Node's).

import { createWriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { pipeline } from 'node:stream/promises';
import { getHeapSnapshot } from 'node:v8';
import type { LocalModule } from './types.js';

export const debugCommand: LocalModule = (d) => {
  let cpu: { session: Session; file: string } | undefined;

  d.cli.register({
    helpShort: 'display internal debug information',
    helpLong: `Without arguments: the Node version, active handles and memory use.
debug memory <file> writes a V8 heap snapshot; debug cpu start <file> starts a
CPU profile written (as .cpuprofile JSON) by debug cpu stop.`,
    patterns: [
      'debug',
      'debug <memory,> <file>',
      'debug <cpu,> <start,> <file>',
      'debug <cpu,> <stop,>',
    ],
    async call(cmd, out) {
      if (cmd.boolArgs.memory) {
        await pipeline(getHeapSnapshot(), createWriteStream(cmd.stringArgs.file!));
        return;
      }
      if (cmd.boolArgs.cpu && cmd.boolArgs.start) {
        if (cpu) throw new Error('CPU profile still running');
        const session = new Session();
        session.connect();
        await session.post('Profiler.enable');
        await session.post('Profiler.start');
        cpu = { session, file: cmd.stringArgs.file! };
        return;
      }
      if (cmd.boolArgs.cpu && cmd.boolArgs.stop) {
        if (!cpu) throw new Error('CPU profile not running');
        const { session, file } = cpu;
        cpu = undefined;
        const { profile } = await session.post('Profiler.stop');
        session.disconnect();
        await writeFile(file, JSON.stringify(profile));
        return;
      }
      const mem = process.memoryUsage();
      const handles = (
        process as unknown as { _getActiveHandles?: () => unknown[] }
      )._getActiveHandles?.();
      out.respond({
        header: ['nodeversion', 'handles', 'rss', 'heapused'],
        tabular: [
          [
            process.version,
            String(handles?.length ?? 0),
            String(Math.round(mem.rss / (1 << 20))),
            String(Math.round(mem.heapUsed / (1 << 20))),
          ],
        ],
      });
    },
  });
  d.onShutdown('debug', () => {
    cpu?.session.disconnect();
    cpu = undefined;
  });
};
