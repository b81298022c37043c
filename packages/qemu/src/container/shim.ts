// The container shim (containers.md §3.3, §9): a POSIX shell script run by
// `unshare` as PID 1 of the new mount, UTS, IPC, PID and net namespaces. It
// joins the cgroups, mounts the overlay root, builds /proc, /dev, /sys, volumes and fifos inside the
// root, runs preinit, says `ready`, waits for `go` (the parent freezes it
// meanwhile) and finally execs init through setpriv + chroot.
//
// Better than minimega's: init gets PATH/TERM/HOME (not an empty
// environment), /dev/std{in,out,err} point at /proc/self/fd/N, /dev/console
// is the container's own console pty (not the host's), preinit runs after
// the veths exist (the parent writes `netready`), and a failing step prints
// its name on the console before the shim exits 1.
//
// Few processes: every mount is a line of two fstabs the parent wrote
// (`mount -a -T`, one exec each) and /dev is copied from a template dir the
// parent made, so a container costs ~6 forks instead of ~40.
//
// Inputs come in the environment (MM_*), never through a shell string:
//   MM_I instance dir (fstab.pre, fstab, dev/, ready, go, netready);
//   MM_R root; MM_H hostname; MM_CG cgroup.procs files (one per line);
//   MM_PRE preinit ('' = none); MM_NET 1 when the parent sets up NICs first.
// Positional arguments are init's argv.

/** capabilities init keeps (minimega's list, §3.3 step 15) */
export const CONTAINER_CAPS = [
  'chown',
  'dac_override',
  'dac_read_search',
  'fowner',
  'fsetid',
  'kill',
  'setgid',
  'setuid',
  'setpcap',
  'net_bind_service',
  'net_admin',
  'net_raw',
  'sys_chroot',
  'mknod',
  'audit_write',
  'audit_control',
  'setfcap',
] as const;

/** environment init starts with */
export const INIT_ENV = [
  'PATH=/sbin:/bin:/usr/sbin:/usr/bin',
  'TERM=linux',
  'HOME=/',
  'container=minimega',
] as const;

const caps = `-all,${CONTAINER_CAPS.map((c) => `+${c}`).join(',')}`;

export const SHIM_SCRIPT = `set -eu
trap 'rc=$?; [ $rc -eq 0 ] || echo "containerShim: $STEP failed (exit $rc)" >&2' EXIT
STEP=cgroups
IFS='
'
for f in $MM_CG; do echo $$ > "$f"; done
unset IFS
R=$MM_R
STEP=hostname; echo "$MM_H" > /proc/sys/kernel/hostname
STEP=mounts; mount -a -T "$MM_I/fstab.pre"
STEP=devices; cp -a "$MM_I/dev/." "$R/dev/"
STEP=console; echo "$(readlink /proc/self/fd/0) $R/dev/console none bind 0 0" >> "$MM_I/fstab"
STEP=mounts; mount -a -T "$MM_I/fstab"
if [ "$MM_NET" = 1 ]; then STEP=network; read -r _ < "$MM_I/netready"; fi
if [ -n "$MM_PRE" ]; then STEP=preinit; "$MM_PRE" "$MM_PRE"; fi
STEP=ready
: > "$MM_I/ready"
read -r _ < "$MM_I/go"
STEP=exec
cd "$R"
trap - EXIT
exec /usr/bin/env -i ${INIT_ENV.join(' ')} /usr/bin/setpriv --bounding-set=${caps} --inh-caps=${caps} /usr/sbin/chroot . "$@"
`;
