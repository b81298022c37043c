// One error class per plumber condition, each with a literal `code`.
// Messages keep minimega's wording (internal/miniplumber).

export abstract class PlumberError extends Error {
  abstract readonly code: string;
  override name = 'PlumberError';
}

export class PipelineExistsError extends PlumberError {
  readonly code = 'ERR_PLUMBER_PIPELINE_EXISTS' as const;
  constructor(readonly production: readonly string[]) {
    super(`pipeline already exists: ${production.join(' ')}`);
  }
}

export class NoSuchPipelineError extends PlumberError {
  readonly code = 'ERR_PLUMBER_NO_PIPELINE' as const;
  constructor(readonly production: readonly string[]) {
    super(`no such pipeline: ${production.join(' ')}`);
  }
}

export class NoSuchPipeError extends PlumberError {
  readonly code = 'ERR_PLUMBER_NO_PIPE' as const;
  constructor(readonly pipe: string) {
    super(`no such pipe: ${pipe}`);
  }
}

/** A pipe still written by a pipeline cannot go away under it. */
export class PipeHasWritersError extends PlumberError {
  readonly code = 'ERR_PLUMBER_PIPE_WRITERS' as const;
  constructor(readonly pipe: string) {
    super(`cannot delete named pipe with open writers: ${pipe}`);
  }
}

export class EmptyPipelineError extends PlumberError {
  readonly code = 'ERR_PLUMBER_EMPTY' as const;
  constructor() {
    super('a pipeline needs at least two stages');
  }
}
