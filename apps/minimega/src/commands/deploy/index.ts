// The `deploy` command module (deploy-recover.md §1): copy this minimega to
// other hosts over ssh, start it there with this node's flags and wait until
// each has joined the mesh. Settings are process-wide, as in the original,
// but kept in one object that each command reads once.
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { splitList } from '@mm/cli-grammar';
import type { Mesh } from '@mm/meshage';
import type { CommandModule, Daemon } from '../../context.js';
import { describeExecutable, findExecutable } from './executable.js';
import { customFlagWords, defaultFlagWords, flagValue, shellQuote } from './flags.js';
import { type LaunchPlan, launch, type MeshView } from './launch.js';
import { createSshShell, type RemoteShell, type SshTarget } from './ssh.js';
import { resultBatch } from './table.js';

export interface DeploySettings {
  /** `deploy flags <f>...`; undefined: the default forwarded flags */
  custom: string[] | undefined;
  /** remote stdout/stderr files; '' = `<remote base>/minimega.{out,err}` */
  stdout: string;
  stderr: string;
  /** private key for ssh; '' = the agent and ~/.ssh keys */
  identity: string;
  /** seconds each host may take to join */
  timeout: number;
}

const DEFAULT_TIMEOUT = 60;

const defaults = (): DeploySettings => ({
  custom: undefined,
  stdout: '',
  stderr: '',
  identity: '',
  timeout: DEFAULT_TIMEOUT,
});

/** The mesh node, if the mesh module runs (read-only use of `services.mesh`). */
function meshNode(d: Daemon): Mesh | undefined {
  const svc = d.services.mesh as { node?: Mesh } | undefined;
  return svc?.node;
}

export interface DeployModuleOptions {
  /** ssh implementation (tests); default the system OpenSSH client */
  shell?: (d: Daemon, s: DeploySettings) => RemoteShell;
}

export function createDeployModule(opts: DeployModuleOptions = {}): CommandModule {
  return (d) => {
    const s = defaults();
    const base = d.flags.base.replace(/\/+$/, '') || '/';

    const flagWords = (remoteMeshKey?: string): string[] => {
      if (s.custom) return customFlagWords(s.custom);
      const node = meshNode(d);
      return defaultFlagWords({
        hostname: d.hostname,
        flags: d.flags,
        // runtime changes win over the start-up flags (sharp edge 4)
        live: { level: d.log.level, ...(node ? { degree: node.degree } : {}) },
        ...(remoteMeshKey ? { remoteMeshKey } : {}),
      });
    };
    const remoteBase = (words: string[]) => flagValue(words, 'base') || '/tmp/minimega';

    d.cli.register({
      helpShort: 'copy and run minimega on remote nodes',
      helpLong: `Copy this minimega (the single executable) to each host over ssh and start it there with this node's flags (see "deploy flags"), then wait until every host has joined the mesh. Hosts take ranges (node[1-3]). Hosts are handled in parallel; the executable is copied only when the host does not have the same one already. With a user, ssh logs in as that user; "sudo" starts minimega as root with sudo -n.

Host keys are trusted on first use and remembered in <base>/known_hosts; a changed key fails that host. ssh never prompts: keys come from the agent, ~/.ssh, or "deploy identity".

The reply has one row per host: joined, or the error naming why (unreachable, auth refused, copy failed, exited early with its last log lines, did not join before "deploy timeout").`,
      patterns: ['deploy launch <hosts>', 'deploy launch <hosts> <user> [sudo,]'],
      async call(cmd, out, env) {
        const hosts = splitList(cmd.stringArgs.hosts ?? '');
        if (hosts.length === 0) throw new Error('deploy launch: no hosts given');
        const node = meshNode(d);
        if (!node)
          throw new Error('deploy launch: meshage is not running, deployed hosts could not join');
        const user = cmd.stringArgs.user;
        const targets: SshTarget[] = hosts.map((host) => ({ host, ...(user ? { user } : {}) }));

        const exePath = findExecutable();
        env.status?.(`deploy: hashing ${basename(exePath)}`);
        const exe = await describeExecutable(exePath);
        const remoteDir = join(tmpdir(), 'minimega_deploy');
        const meshKey = d.flags.meshkey
          ? { local: d.flags.meshkey, remote: `${remoteDir}/meshkey-${d.hostname}` }
          : undefined;
        const words = flagWords(meshKey?.remote);
        const rbase = remoteBase(words);
        const port = Number(flagValue(words, 'port') ?? d.flags.port);
        const plan: LaunchPlan = {
          targets,
          sudo: cmd.boolArgs.sudo === true,
          exe,
          flags: words,
          remoteBase: rbase,
          remoteDir,
          stdout: s.stdout || `${rbase}/minimega.out`,
          stderr: s.stderr || `${rbase}/minimega.err`,
          ...(meshKey ? { meshKey } : {}),
          ...(Number.isFinite(port) && port > 0 ? { port } : {}),
          timeoutMs: s.timeout * 1000,
        };
        const shell =
          opts.shell?.(d, s) ??
          createSshShell({
            knownHosts: join(base, 'known_hosts'),
            ...(s.identity ? { identity: s.identity } : {}),
          });
        const mesh: MeshView = {
          self: d.hostname,
          nodes: () => node.nodes(),
          dial: (address, o) => node.dial(address, o),
        };
        env.status?.(
          `deploy: ${targets.length} host(s), ${(exe.size / 1048576).toFixed(0)} MB executable`,
        );
        const results = await launch(plan, {
          shell,
          mesh,
          ...(env.status ? { status: env.status } : {}),
          ...(env.signal ? { signal: env.signal } : {}),
        });
        out.emit(resultBatch(d.hostname, results));
      },
    });

    d.cli.register({
      helpShort: 'view or set the flags deployed minimega nodes start with',
      helpLong:
        'Without arguments, print the flags deployed nodes start with: by default this node\'s flags (live degree and log level; not -force, -recover, -logfile or client flags) with -nostdin=true. With arguments, use exactly these flags instead (plus -nostdin=true). "clear deploy flags" goes back to the default.',
      patterns: ['deploy flags [flags]...'],
      call(cmd, out) {
        const given = cmd.listArgs.flags ?? [];
        if (given.length > 0) {
          s.custom = [...given];
          return;
        }
        const key = d.flags.meshkey
          ? join(tmpdir(), 'minimega_deploy', `meshkey-${d.hostname}`)
          : undefined;
        out.respond({ response: flagWords(key).map(shellQuote).join(' ') });
      },
    });

    for (const which of ['stdout', 'stderr'] as const) {
      d.cli.register({
        helpShort: `view or set where deployed minimega's ${which} goes`,
        helpLong: `Without a path, print the remote file deployed nodes append their ${which} to (default <base>/minimega.${which === 'stdout' ? 'out' : 'err'} on each host). With a path, use that file.`,
        patterns: [`deploy ${which} [path]`],
        call(cmd, out) {
          const p = cmd.stringArgs.path;
          if (p !== undefined && p !== '') {
            s[which] = p;
            return;
          }
          const rbase = remoteBase(flagWords());
          out.respond({
            response: s[which] || `${rbase}/minimega.${which === 'stdout' ? 'out' : 'err'}`,
          });
        },
      });
    }

    d.cli.register({
      helpShort: 'view or set the ssh key deploy uses',
      helpLong:
        'Without a path, print the private key file deploy gives ssh ("" = the agent and ~/.ssh keys). With a path, use that key only.',
      patterns: ['deploy identity [path]'],
      call(cmd, out) {
        const p = cmd.stringArgs.path;
        if (p !== undefined && p !== '') s.identity = p;
        else out.respond({ response: s.identity });
      },
    });

    d.cli.register({
      helpShort: 'view or set how long deploy waits for each host',
      helpLong: `Seconds each host may take to be copied to, started and join the mesh (default ${DEFAULT_TIMEOUT}).`,
      patterns: ['deploy timeout [seconds]'],
      call(cmd, out) {
        const raw = cmd.stringArgs.seconds;
        if (raw === undefined || raw === '') {
          out.respond({ response: String(s.timeout) });
          return;
        }
        if (!/^\d+$/.test(raw) || Number(raw) === 0) {
          throw new Error(
            `invalid deploy timeout ${JSON.stringify(raw)}: want a whole number of seconds > 0`,
          );
        }
        s.timeout = Number(raw);
      },
    });

    const parts = ['flags', 'stdout', 'stderr', 'identity', 'timeout'] as const;
    const reset = (part?: (typeof parts)[number]) => {
      const fresh = defaults();
      if (!part) Object.assign(s, fresh);
      else if (part === 'flags') s.custom = undefined;
      else (s as unknown as Record<string, unknown>)[part] = fresh[part];
    };
    d.cli.register({
      helpShort: 'reset deploy settings',
      helpLong:
        'Reset every deploy setting, or one of them (flags, stdout, stderr, identity, timeout).',
      patterns: ['clear deploy', ...parts.map((p) => `clear deploy <${p},>`)],
      call(cmd) {
        reset(parts.find((p) => cmd.boolArgs[p]));
      },
    });
    d.onClearAll('deploy', () => reset());
  };
}

export const deployModule: CommandModule = createDeployModule();
