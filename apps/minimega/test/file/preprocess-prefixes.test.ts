// The argument preprocessor hands file:, tar: and http(s):// words to
// services.files; a diskspec gets only its path part rewritten.
import type { Command } from '@mm/cli-grammar';
import { describe, expect, it } from 'vitest';
import type { Daemon, FileFetcher } from '../../src/context.js';
import { createPreprocessor } from '../../src/daemon/preprocess.js';

function fakeDaemon(files: FileFetcher): Daemon {
  return {
    services: { files },
    flags: { filepath: '/srv/files' },
    cli: { env: { get: () => undefined } },
  } as unknown as Daemon;
}

function command(
  stringArgs: Record<string, string>,
  listArgs: Record<string, string[]> = {},
): Command {
  return {
    original: '',
    words: [],
    stringArgs,
    boolArgs: {},
    listArgs,
    record: false,
    preprocess: true,
    nop: false,
    source: '',
    namespace: '',
  };
}

describe('prefix preprocessing', () => {
  const calls: string[] = [];
  const files: FileFetcher = {
    get: async (rel) => {
      calls.push(`get ${rel}`);
      return `/srv/files/${rel}`;
    },
    tar: async (rel) => {
      calls.push(`tar ${rel}`);
      return '/srv/files/rootfs';
    },
    url: async (url) => {
      calls.push(`url ${url.href}`);
      return `/srv/files${url.pathname}`;
    },
  };
  const pre = createPreprocessor(fakeDaemon(files));

  it('file:, tar:, http:// in string and list arguments; ../ cannot leave the files dir', async () => {
    const cmd = command(
      { a: 'file:img/../../x.qcow2', b: 'tar:fs.tar', c: 'https://h/iso/d.iso', d: 'plain' },
      { value: ['file:k', 'x'] },
    );
    await pre(cmd, {});
    expect(cmd.stringArgs).toEqual({
      a: '/srv/files/x.qcow2',
      b: '/srv/files/rootfs',
      c: '/srv/files/iso/d.iso',
      d: 'plain',
    });
    expect(cmd.listArgs.value).toEqual(['/srv/files/k', 'x']);
    expect(calls).toEqual(['get x.qcow2', 'tar fs.tar', 'url https://h/iso/d.iso', 'get k']);
  });

  it('vm config disk file:...: only the path part of a diskspec, options kept', async () => {
    const cmd = command(
      {},
      { diskspec: ['file:win.qcow2,virtio,writeback', 'file:data.img', '/abs/x.img,ide'] },
    );
    await pre(cmd, {});
    expect(cmd.listArgs.diskspec).toEqual([
      '/srv/files/win.qcow2,virtio,writeback',
      '/srv/files/data.img',
      '/abs/x.img,ide',
    ]);
  });

  it('errors of the fetch fail the command with their own words', async () => {
    const failing = createPreprocessor(
      fakeDaemon({
        get: async () => {
          throw new Error(
            'get big.img: not enough space: needs 1.0 GiB (1073741824 bytes), 10.0 MiB (10485760 bytes) free',
          );
        },
      }),
    );
    await expect(failing(command({ a: 'file:big.img' }), {})).rejects.toThrow(
      /^get big\.img: not enough space/,
    );
  });
});
