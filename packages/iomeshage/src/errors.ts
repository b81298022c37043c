// One error class per condition, each with a literal `code`; callers match on
// `code`, never on message text. Messages keep minimega's wording where the
// spec gives one (iomeshage.md §10).

export abstract class IomeshError extends Error {
  abstract readonly code: string;
  override name = 'IomeshError';
}

/** `get <file>: file not found` (also `stream <file>: ...`) */
export class FileNotFoundError extends IomeshError {
  readonly code = 'ERR_IOMESH_NOT_FOUND' as const;
  constructor(
    readonly op: 'get' | 'stream',
    readonly file: string,
  ) {
    super(`${op} ${file}: file not found`);
  }
}

/** Go's filepath.ErrBadPattern */
export class GlobSyntaxError extends IomeshError {
  readonly code = 'ERR_IOMESH_GLOB' as const;
  constructor(readonly pattern: string) {
    super('syntax error in pattern');
  }
}

export class StreamGlobError extends IomeshError {
  readonly code = 'ERR_IOMESH_STREAM_GLOB' as const;
  constructor() {
    super('cannot stream a glob');
  }
}

/** Checked before a transfer starts: nothing is written. */
export class NoSpaceError extends IomeshError {
  readonly code = 'ERR_IOMESH_NO_SPACE' as const;
  constructor(
    readonly file: string,
    readonly needed: number,
    readonly available: number,
    readonly during = false,
  ) {
    super(
      during
        ? `get ${file}: no space left on device while writing (the file needs ${sizeText(needed)}); nothing was kept under its name`
        : `get ${file}: not enough space: needs ${sizeText(needed)}, ${sizeText(available)} free`,
    );
  }
}

/** Every node that had (part of) the file went away or failed it. */
export class NoSourceError extends IomeshError {
  readonly code = 'ERR_IOMESH_NO_SOURCE' as const;
  constructor(
    readonly file: string,
    readonly missing: number,
    detail: string,
  ) {
    super(`get ${file}: no node can serve ${missing} remaining part(s): ${detail}`);
  }
}

/** A transfer was cancelled (abort signal or shutdown). */
export class TransferAbortedError extends IomeshError {
  readonly code = 'ERR_IOMESH_ABORTED' as const;
  constructor(readonly file: string) {
    super(`get ${file}: aborted`);
  }
}

/** A part that does not match its hash, or a protocol fault of a source. */
export class BadPartError extends IomeshError {
  readonly code = 'ERR_IOMESH_BAD_PART' as const;
}

export class IomeshClosedError extends IomeshError {
  readonly code = 'ERR_IOMESH_CLOSED' as const;
  constructor() {
    super('iomeshage is closed');
  }
}

/** `1048576` → `1.0 MiB (1048576 bytes)` */
export function sizeText(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} bytes` : `${v.toFixed(1)} ${units[u]} (${n} bytes)`;
}
