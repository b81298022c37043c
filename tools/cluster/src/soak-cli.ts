// The long soak (scripts/soak.sh): node --import tsx tools/cluster/src/soak-cli.ts [--seconds 600] [--seed N]
// Prints the report; exits 1 on any hang, crash or orphaned QEMU.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runSoak } from './soak.js';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const root = fileURLToPath(new URL('../../..', import.meta.url));
// the tiny guest (tools/guest-image) so started VMs boot and then idle
const out = execFileSync(process.execPath, ['--import', 'tsx', 'tools/guest-image/src/cli.ts'], {
  cwd: root,
  encoding: 'utf8',
});
const kernel = /^kernel (.+)$/m.exec(out)?.[1];
const initrd = /^initrd (.+)$/m.exec(out)?.[1];
const report = await runSoak({
  seconds: Number(arg('seconds') ?? 600),
  ...(arg('seed') ? { seed: Number(arg('seed')) } : {}),
  ...(kernel && initrd ? { guest: { kernel, initrd } } : {}),
  log: (m) => console.log(`${new Date().toISOString().slice(11, 19)} ${m}`),
});
console.log(JSON.stringify(report, null, 1));
process.exit(report.failures.length > 0 ? 1 : 0);
