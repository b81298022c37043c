// The transcript format of minimega's command tests (shared/minitest/README):
// a blank test line gives a blank line; any other line gives `## <line>`, is
// sent as one command, and each reply batch adds its errors (`E: ...`,
// sorted) and then its rendered text.
import type { Reply } from './client.js';

export interface CommandRunner {
  run(command: string): Promise<Reply[]>;
}

export function batchLines(r: Reply): string[] {
  const out: string[] = [];
  const errors = (r.Resp ?? []).map((x) => x.Error ?? '').filter((e) => e !== '');
  errors.sort();
  for (const e of errors) out.push(`E: ${e}`);
  if (r.Rendered !== '') out.push(...r.Rendered.replace(/\n$/, '').split('\n'));
  return out;
}

/** Split a test file into lines (no trailing empty line for the final newline). */
export function testLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines.map((l) => l.replace(/\r$/, ''));
}

/** Run every line and build the transcript text. */
export async function runTranscript(lines: string[], client: CommandRunner): Promise<string> {
  const out: string[] = [];
  for (const line of lines) {
    if (line.trim() === '') {
      out.push('');
      continue;
    }
    out.push(`## ${line}`);
    let replies: Reply[];
    try {
      replies = await client.run(line);
    } catch (e) {
      out.push(`E: runner: ${(e as Error).message}`);
      throw Object.assign(new Error((e as Error).message, { cause: e }), {
        transcript: out.join('\n'),
      });
    }
    for (const r of replies) out.push(...batchLines(r));
  }
  return out.join('\n');
}

/** Run lines for their effect only (prolog, epilog). */
export async function runQuietly(lines: string[], client: CommandRunner): Promise<void> {
  for (const line of lines) {
    if (line.trim() === '') continue;
    await client.run(line);
  }
}
