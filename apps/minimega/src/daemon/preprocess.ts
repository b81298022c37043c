// Argument preprocessing (iomeshage.md §9), run on every command at every
// nesting level unless `.preprocess false`: `$VAR` expansion, then the
// `file:`, `http(s):` and `tar:` prefixes.
import { stat } from 'node:fs/promises';
import { join, normalize } from 'node:path';
import type { CallEnv, Command, Preprocessor } from '@mm/cli-grammar';
import type { Daemon } from '../context.js';

export class PreprocessError extends Error {
  readonly code = 'ERR_PREPROCESS' as const;
}

/** Go os.ExpandEnv: `$NAME`, `${NAME}`; unknown names become "". */
export function expandEnv(
  s: string,
  get: (name: string) => string | undefined = (n) => process.env[n],
): string {
  if (!s.includes('$')) return s;
  return s.replace(
    /\$(?:\{([^}]*)\}|([A-Za-z0-9_]+)|([*#$@!?-]))/g,
    (_m, braced, plain, special) => {
      const name = (braced ?? plain ?? special) as string;
      return get(name) ?? '';
    },
  );
}

async function isFile(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}

/** clean a relative path so it cannot leave the file server's directory */
function cleanRel(rel: string): string {
  const n = normalize(`/${rel}`);
  return n.replace(/^\/+/, '');
}

export function createPreprocessor(d: Daemon): Preprocessor {
  const filepath = () => d.flags.filepath;

  async function fileArg(rel: string, env: CallEnv): Promise<string> {
    if (rel === '' || rel.startsWith('/')) {
      throw new PreprocessError(
        `file: needs a path relative to ${filepath()} (got ${JSON.stringify(rel)})`,
      );
    }
    const clean = cleanRel(rel);
    const local = join(filepath(), clean);
    if (await isFile(local)) return local;
    if (d.services.files) return d.services.files.get(clean, env);
    throw new PreprocessError(`get ${clean}: file not found`);
  }

  async function httpArg(value: string, url: URL, env: CallEnv): Promise<string> {
    const path = decodeURIComponent(url.pathname);
    const clean = cleanRel(path);
    if (clean === '')
      throw new PreprocessError(`get ${path}: file not found (a URL must name a file)`);
    if (d.services.files?.url) return d.services.files.url(url, env);
    const local = join(filepath(), clean);
    if (await isFile(local)) return local;
    throw new PreprocessError(`get ${value}: file not found (file transfers are not running)`);
  }

  async function tarArg(rel: string, env: CallEnv): Promise<string> {
    if (rel === '' || rel.startsWith('/')) {
      throw new PreprocessError(
        `tar: needs a path relative to ${filepath()} (got ${JSON.stringify(rel)})`,
      );
    }
    if (!d.services.files?.tar) throw new PreprocessError('tar: file transfers are not running');
    return d.services.files.tar(cleanRel(rel), env);
  }

  async function one(value: string, env: CallEnv): Promise<string> {
    // the environment `.env` shows and changes
    const v = expandEnv(value, (n) => d.cli.env.get(n));
    const m = /^([A-Za-z][A-Za-z0-9+.-]*):(.*)$/s.exec(v);
    if (!m) return v;
    const scheme = m[1]!.toLowerCase();
    const rest = m[2]!;
    if (scheme === 'file') return fileArg(rest, env);
    if (scheme === 'http' || scheme === 'https') {
      let url: URL;
      try {
        url = new URL(v);
      } catch {
        return v;
      }
      return httpArg(v, url, env);
    }
    if (scheme === 'tar') return tarArg(rest, env);
    return v;
  }

  return async (cmd: Command, env: CallEnv) => {
    for (const [k, v] of Object.entries(cmd.stringArgs)) cmd.stringArgs[k] = await one(v, env);
    for (const [k, list] of Object.entries(cmd.listArgs)) {
      for (let i = 0; i < list.length; i++) {
        const v = list[i]!;
        // a diskspec's options stay as typed: only its path part (before the first comma)
        const comma = k === 'diskspec' ? v.indexOf(',') : -1;
        list[i] =
          comma < 0 ? await one(v, env) : (await one(v.slice(0, comma), env)) + v.slice(comma);
      }
    }
  };
}
