import { execFileSync } from 'node:child_process';

function has(bin: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Why a cluster cannot run here ('' when it can). */
export function clusterUnavailable(): string {
  if (process.platform !== 'linux') return 'network namespaces need Linux';
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, bridge, veth)';
  for (const b of ['ip', 'unshare', 'hostname']) if (!has(b)) return `${b} not installed`;
  try {
    // namespaces may be forbidden (an unprivileged container): try one
    execFileSync('unshare', ['--net', '--uts', 'true'], { stdio: 'ignore' });
  } catch {
    return 'cannot create network/UTS namespaces (unshare --net --uts failed)';
  }
  return '';
}
