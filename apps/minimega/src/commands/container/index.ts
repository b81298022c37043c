// Containers (containers.md): plugs the 'container' driver of @mm/qemu into
// this node's VmHost, so `vm launch container` runs beside KVM through the
// same lifecycle, commands and vm info. Listed after the VM module (it needs
// services.vmHost). The host's close() kills containers and then closes the
// driver, which removes this daemon's cgroups.
import { createContainerDriver } from '@mm/qemu';
import type { CommandModule } from '../../context.js';
import { cgroupRootOf } from '../../flags/cgroup-root.js';

export const containerModule: CommandModule = (d) => {
  const host = d.services.vmHost;
  if (!host) {
    d.log.warn('containers: the VM module is not running; vm launch container is unavailable');
    return;
  }
  host.setDriver(
    'container',
    createContainerDriver({
      // groups are minimega/<daemon pid>-<id>: daemons sharing a host never collide
      cgroupParent: 'minimega',
      cgroupRoot: cgroupRootOf(d.flags),
      cgroupPrefix: `${process.pid}-`,
    }),
  );
};
