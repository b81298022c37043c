// Command lines on an in-process DaemonCore, seen as minitest sees them: one
// line's rendered text and errors, or a whole transcript (`## line`, sorted
// `E: err` lines, rendered text). Annotation is turned off before the first
// line, as minitest's prolog does. Shared by the net and vm test harnesses.
import type { DaemonCore } from '../src/daemon/core.js';

export interface LineResult {
  text: string;
  errors: string[];
  /** the Data of every response that carried one */
  data: unknown[];
}

export interface CoreRunner {
  run(line: string): Promise<LineResult>;
  /** an empty line stays an empty line of the transcript */
  transcript(lines: string[]): Promise<string>;
}

export function coreRunner(core: DaemonCore): CoreRunner {
  let annotated = false;
  const run = async (line: string): Promise<LineResult> => {
    if (!annotated) {
      annotated = true;
      for await (const _ of core.execute('.annotate false', {}, { aliases: false })) {
        // no output
      }
    }
    let text = '';
    const errors: string[] = [];
    const data: unknown[] = [];
    for await (const batch of core.execute(line, {}, { aliases: true })) {
      for (const r of batch) {
        if (r.error) errors.push(r.error);
        if (r.data !== undefined) data.push(r.data);
      }
      text += core.cli.render(batch);
    }
    return { text, errors, data };
  };
  return {
    run,
    async transcript(lines) {
      let out = '';
      for (const line of lines) {
        if (line === '') {
          out += '\n';
          continue;
        }
        out += `## ${line}\n`;
        const { text, errors } = await run(line);
        for (const e of [...errors].sort()) out += `E: ${e}\n`;
        if (text) out += text.endsWith('\n') ? text : `${text}\n`;
      }
      return out;
    },
  };
}
