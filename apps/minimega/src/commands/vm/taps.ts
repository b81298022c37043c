// One place where a VM NIC becomes a tap through the networking seam, so
// launch and `vm net add` pass the same fields the same way.
import type { KvmVm, NetConfig } from '@mm/qemu';
import type { VmNetworking } from '../../context.js';

/** Creates the tap for `nic` of `vm` in namespace `ns` and records it on the NIC. */
export async function createNicTap(
  net: VmNetworking,
  ns: string,
  vm: KvmVm,
  nic: NetConfig,
  signal?: AbortSignal,
): Promise<string> {
  nic.tap = await net.createTap({
    namespace: ns,
    vm: vm.name,
    bridge: nic.bridge,
    vlan: nic.vlan,
    mac: nic.mac,
    signal,
  });
  return nic.tap;
}
