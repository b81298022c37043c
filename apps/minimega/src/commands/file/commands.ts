// The `file` commands (iomeshage.md §8): local to the node that runs them;
// `mesh send` acts on others. `file get` returns once transfers are started.
import type { Iomeshage } from '@mm/iomeshage';
import type { Daemon } from '../../context.js';
import { listHeader, listRow, STATUS_HEADER, statusRow } from './format.js';

export function registerFileCommands(d: Daemon, io: Iomeshage): void {
  const hashes = () => d.flags.hashfiles === true;

  d.cli.register({
    helpShort: 'work with files served by minimega',
    helpLong: `file allows you to transfer and manage files served by minimega in the
directory set by the -filepath flag (default is 'base'/files).

To list files currently being served, issue the list command with a directory
relative to the served directory:

	file list /foo

Issuing "file list /" will list the contents of the served directory.

Files can be deleted with the delete command:

	file delete /foo

If a directory is given, the directory will be recursively deleted; the
served directory itself is only emptied.

Files are transferred using the get command. When a get command is issued,
the node will begin searching for a file matching the path and name within
the mesh. If the file exists, it will be transferred to the requesting node.
If multiple different files exist with the same name, the newest version is
pulled (the head node's, with -headnode). Parts come from every node holding
the file, or part of it, in parallel, and each is checked against the
file's content hash. Globs and directories are allowed:

	file get /foo.qcow2
	file get /iso/*

Transfers run in the background; file status shows them with their progress
and any error (for example a full disk or a source that went away). A file is
only placed under its name once every part has been verified.

file stream streams a file over the minimega command protocol in order, and
keeps no local copy.`,
    patterns: [
      'file <list,>',
      'file <list,> <path> [recursive,]',
      'file <get,> <file>',
      'file <stream,> <file>',
      'file <delete,> <file>',
      'file <status,>',
    ],
    async call(cmd, out, env) {
      const signal = env.signal;
      const file = cmd.stringArgs.file ?? '';
      if (cmd.boolArgs.list) {
        const files = await io.list(cmd.stringArgs.path ?? '/', {
          recurse: cmd.boolArgs.recursive === true,
          hashes: hashes(),
        });
        files.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
        out.respond({
          header: listHeader(hashes()),
          tabular: files.map((f) => listRow(f, hashes())),
        });
        return;
      }
      if (cmd.boolArgs.get) {
        const started = await io.get(file, signal ? { signal } : {});
        for (const t of started) {
          // the command returns now; a failure shows in `file status` and the log
          t.done.catch((e: Error) => d.log.error(e.message));
        }
        out.respond({});
        return;
      }
      if (cmd.boolArgs.stream) {
        let any = false;
        for await (const chunk of io.stream(file, signal ? { signal } : {})) {
          any = true;
          out.respond({ data: chunk.toString('base64') });
        }
        if (!any) out.respond({});
        return;
      }
      if (cmd.boolArgs.delete) {
        await io.delete(file);
        out.respond({});
        return;
      }
      out.respond({ header: STATUS_HEADER, tabular: io.status().map(statusRow) });
    },
    async suggest(_raw, key, prefix) {
      if (key !== 'file' && key !== 'path') return [];
      return io.complete(prefix).catch(() => []);
    },
  });
}
