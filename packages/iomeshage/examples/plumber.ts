// Named pipes and a pipeline through a program (`plumb foo "sed ..." bar`).
import { execFileSync } from 'node:child_process';
import { createPlumber } from '../src/index.js';

/** a stage is a program when `command -v` finds it, else a pipe name */
const isProgram = (word: string) => {
  try {
    execFileSync('sh', ['-c', 'command -v "$1"', 'sh', word], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

export async function main(): Promise<string> {
  await using plumber = createPlumber({ isProgram });
  const got = new Promise<string>((resolve) => plumber.read('bar', resolve));
  plumber.plumb(['foo', 'sed -u s/cc/mm/', 'bar']);
  await plumber.write('foo', 'hello from cc!');
  const line = await got; // 'hello from mm!\n'
  console.log(plumber.pipes()); // [{ name: 'bar', count: 1, ... }, { name: 'foo', ... }]
  return line;
}
