// The `disk` commands (daemon.md "Disks"): create, snapshot, info, rebase,
// set-backing, commit and resize through qemu-img; `disk inject` needs the
// nbd kernel module and says so when it is missing.
import { isAbsolute, join, normalize } from 'node:path';
import { execa } from 'execa';
import type { CommandModule, Daemon } from '../../context.js';
import {
  DiskError,
  diskCommit,
  diskCreate,
  diskInfo,
  diskRebase,
  diskResize,
  diskSnapshot,
  humanBytes,
  snapshotName,
} from './qemu-img.js';

/** minimega's getImage: relative names are under -filepath */
function imagePath(d: Daemon, image: string): string {
  const p = normalize(image);
  return isAbsolute(p) ? p : join(d.flags.filepath, p);
}

async function nbdReady(signal?: AbortSignal): Promise<void> {
  const r = await execa('modprobe', ['nbd', 'max_part=10'], {
    reject: false,
    ...(signal ? { cancelSignal: signal } : {}),
  }).catch((e: Error) => ({ exitCode: -1, stderr: e.message }));
  if (r.exitCode !== 0) {
    const why = String(r.stderr)
      .trim()
      .replace(/^modprobe: /, '');
    throw new DiskError(
      `disk inject needs the nbd kernel module (qemu-nbd), which is not available: ${why || `modprobe nbd exit status ${r.exitCode}`}`,
    );
  }
}

export const diskModule: CommandModule = (d) => {
  const absolute = () => d.flags.abssnapshot === true;

  d.cli.register({
    helpShort: 'creates a new disk',
    helpLong: `Creates a new qcow2 or raw disk of the specified size.

Example of creating a new disk:

	disk create qcow2 foo.qcow2 100G

The size argument is the size in bytes, or using optional suffixes "k"
(kilobyte), "M" (megabyte), "G" (gigabyte), "T" (terabyte).`,
    patterns: ['disk create <qcow2,raw> <image name> <size>'],
    async call(cmd, out, env) {
      const format = cmd.boolArgs.qcow2 ? 'qcow2' : 'raw';
      await diskCreate(
        format,
        imagePath(d, cmd.stringArgs.image ?? ''),
        cmd.stringArgs.size ?? '',
        env.signal,
      );
      out.respond({});
    },
  });

  d.cli.register({
    helpShort: "creates a new disk 'dst' backed by 'image'",
    helpLong: `Creates a new qcow2 image 'dst' backed by 'image'.

Example of taking a snapshot of a disk:

	disk snapshot windows7.qc2 window7_miniccc.qc2

If the destination name is omitted, a name will be randomly generated and the
snapshot will be stored in the 'files' directory.

Users may use paths relative to the 'files' directory or absolute paths for
inputs; the backing path is relative to the new image (absolute with
-abssnapshot).`,
    patterns: ['disk snapshot <image> [dst image]'],
    async call(cmd, out, env) {
      const src = imagePath(d, cmd.stringArgs.image ?? '');
      const named = cmd.stringArgs.dst ?? '';
      const dst = named ? imagePath(d, named) : await snapshotName(d.flags.filepath);
      await diskSnapshot(src, dst, absolute(), env.signal);
      out.respond(named ? {} : { response: dst });
    },
  });

  d.cli.register({
    helpShort: 'provides info about a disk',
    helpLong:
      'Provides information about a disk such as format, virtual/actual size, and backing file.\n' +
      "The 'recursive' flag can be set to print out full details for all backing images.",
    patterns: ['disk info <image> [recursive,]'],
    async call(cmd, out, env) {
      const infos = await diskInfo(
        imagePath(d, cmd.stringArgs.image ?? ''),
        cmd.boolArgs.recursive === true,
        env.signal,
      );
      out.respond({
        header: ['image', 'format', 'virtualsize', 'disksize', 'backingfile', 'inuse'],
        tabular: infos.map((i) => [
          i.name,
          i.format,
          humanBytes(i.virtualSize),
          humanBytes(i.diskSize),
          i.backingFile,
          String(i.inUse),
        ]),
      });
    },
  });

  d.cli.register({
    helpShort: 'rebases the disk onto a different backing image',
    helpLong: `Rebases the image 'image' onto a new backing file 'backing'. 'rebase' writes the
differences between the old and new backing files into 'image'; 'set-backing'
only changes the backing file pointer. Without 'backing', the image becomes
independent.`,
    patterns: [
      'disk <rebase,> <image> [backing file]',
      'disk <set-backing,> <image> [backing file]',
    ],
    async call(cmd, out, env) {
      const backing = cmd.stringArgs.backing ? imagePath(d, cmd.stringArgs.backing) : '';
      await diskRebase(
        imagePath(d, cmd.stringArgs.image ?? ''),
        backing,
        cmd.boolArgs['set-backing'] === true,
        absolute(),
        env.signal,
      );
      out.respond({});
    },
  });

  d.cli.register({
    helpShort: 'commits the contents of the disk to its backing file',
    patterns: ['disk commit <image>'],
    async call(cmd, out, env) {
      await diskCommit(imagePath(d, cmd.stringArgs.image ?? ''), env.signal);
      out.respond({});
    },
  });

  d.cli.register({
    helpShort: 'resizes a disk',
    helpLong: 'Changes the size of a disk (absolute, or a relative +/- offset such as +512M).',
    patterns: ['disk resize <image> <size>'],
    async call(cmd, out, env) {
      await diskResize(
        imagePath(d, cmd.stringArgs.image ?? ''),
        cmd.stringArgs.size ?? '',
        env.signal,
      );
      out.respond({});
    },
  });

  d.cli.register({
    helpShort: 'injects files into a disk',
    helpLong: `Injects files into a disk (or deletes files from it) by mounting it through
qemu-nbd. Needs the nbd kernel module; without it the command fails and says so.

	disk inject window7_miniccc.qc2 files "miniccc":"Program Files/miniccc"
	disk inject window7_miniccc.qc2:2 files miniccc:miniccc
	disk inject foo.qcow2 options "-t fat -o offset=100" files foo:bar
	disk inject window7_miniccc.qc2 delete files "foo.txt,Temp/bar.zip"`,
    patterns: [
      'disk <inject,> <image> files <files like /path/to/src:/path/to/dst>...',
      'disk <inject,> <image> <delete,> files <files like /path/to/src,/path/to/src>...',
      'disk <inject,> <image> <options,> <options> files <files like /path/to/src:/path/to/dst>',
      'disk <inject,> <image> <options,> <options> <delete,> files <files like /path/to/src,/path/to/src>',
    ],
    async call(_cmd, _out, env) {
      await nbdReady(env.signal);
      throw new DiskError('disk inject: mounting images through qemu-nbd is not implemented yet');
    },
  });
};
