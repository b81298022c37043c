// The per-host result table of `deploy launch`.
import type { Batch } from '@mm/cli-grammar';
import type { HostResult } from './launch.js';

export const DEPLOY_HEADER = ['target', 'name', 'result', 'copy', 'pid', 'time', 'error'];

export function resultRow(r: HostResult): string[] {
  return [
    r.host,
    r.name,
    r.joined ? (r.alreadyRunning ? 'joined (already running)' : 'joined') : 'failed',
    r.copy,
    r.pid,
    `${(r.ms / 1000).toFixed(1)}s`,
    r.error ? r.error.row.replace(/\s*\n\s*/g, ' | ') : '',
  ];
}

/**
 * The table (every host), then, when some failed, one error response naming
 * each of them (a response carrying an error renders only the error).
 */
export function resultBatch(host: string, results: HostResult[]): Batch {
  const batch: Batch = [
    {
      host,
      response: '',
      header: DEPLOY_HEADER,
      tabular: results.map(resultRow),
      error: '',
    },
  ];
  const failed = results.filter((r) => !r.joined);
  if (failed.length > 0) {
    batch.push({
      host,
      response: '',
      header: null,
      tabular: null,
      error: failed.map((r) => `deploy ${r.host}: ${r.error?.row ?? 'failed'}`).join('\n'),
    });
  }
  return batch;
}
