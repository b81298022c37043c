// Go's exec.LookPath, with its error text (minitest `shell` expects it).
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export class ExecNotFoundError extends Error {
  readonly code = 'ERR_EXEC_NOT_FOUND' as const;
}

function executable(p: string): boolean {
  try {
    if (!statSync(p).isFile()) return false;
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function lookPath(file: string): string {
  if (file.includes('/')) {
    if (executable(file)) return file;
    throw new ExecNotFoundError(
      `exec: ${JSON.stringify(file)}: stat ${file}: no such file or executable`,
    );
  }
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const p = join(dir === '' ? '.' : dir, file);
    if (executable(p)) return p;
  }
  throw new ExecNotFoundError(`exec: ${JSON.stringify(file)}: executable file not found in $PATH`);
}
