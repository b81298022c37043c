// minipager: long output goes through $PAGER (default less) when stdout is a
// terminal and the text is longer than twice the terminal height.
import { spawn } from 'node:child_process';

export function shouldPage(text: string): boolean {
  if (!process.stdout.isTTY) return false;
  const rows = process.stdout.rows || 24;
  let lines = 1;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) lines++;
  return lines > 2 * rows;
}

/** Write `text` (newline-terminated) to stdout, through the pager when it is long. */
export async function page(text: string): Promise<void> {
  const out = text.endsWith('\n') ? text : `${text}\n`;
  if (!shouldPage(out)) {
    process.stdout.write(out);
    return;
  }
  const pager = process.env.PAGER || 'less';
  await new Promise<void>((resolve) => {
    const child = spawn(pager, [], { stdio: ['pipe', 'inherit', 'inherit'], shell: true });
    child.on('error', () => {
      process.stdout.write(out);
      resolve();
    });
    child.on('close', () => resolve());
    child.stdin.on('error', () => {});
    child.stdin.end(out);
  });
}
