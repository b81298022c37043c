// The /init of the tiny guest (busybox sh). It loads the virtio network
// modules, configures eth0 from the kernel command line, prints the ready
// marker on the serial console and keeps a shell there.

/** Printed on the console (ttyS0) once the guest is up and its NIC configured. */
export const GUEST_READY_MARKER = 'MM-GUEST-READY';

/** Module load order: each needs the previous ones (no modprobe/depmod in the image). */
export const VIRTIO_MODULES = [
  'virtio_ring',
  'virtio',
  'virtio_pci_legacy_dev',
  'virtio_pci_modern_dev',
  'virtio_pci',
  'failover',
  'net_failover',
  'virtio_net',
] as const;

export function initScript(): string {
  return `#!/bin/busybox sh
/bin/busybox mkdir -p /proc /sys /dev /tmp /root /etc /sbin /usr/bin /usr/sbin
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
# the initramfs has no /dev/console node: reopen stdio once devtmpfs is up
exec </dev/console >/dev/console 2>&1
for m in ${VIRTIO_MODULES.join(' ')}; do
  [ -f /lib/modules/$m.ko ] && insmod /lib/modules/$m.ko
done
MM_IP=; MM_GW=; MM_HOSTNAME=mm-guest; MM_IFACE=eth0
for w in $(cat /proc/cmdline); do
  case "$w" in
    mm.ip=*) MM_IP="\${w#mm.ip=}" ;;
    mm.gw=*) MM_GW="\${w#mm.gw=}" ;;
    mm.hostname=*) MM_HOSTNAME="\${w#mm.hostname=}" ;;
    mm.iface=*) MM_IFACE="\${w#mm.iface=}" ;;
  esac
done
hostname "$MM_HOSTNAME"
ip link set lo up
# wait (briefly) for the NIC when there is a virtio-net device: virtio_net probes asynchronously
has_nic=0
for d in /sys/bus/pci/devices/*; do
  [ "$(cat $d/vendor 2>/dev/null)" = 0x1af4 ] || continue
  case "$(cat $d/device 2>/dev/null)" in 0x1000|0x1041) has_nic=1 ;; esac
done
i=0
while [ $has_nic = 1 ] && [ ! -e /sys/class/net/$MM_IFACE ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
if [ -e /sys/class/net/$MM_IFACE ]; then
  ip link set "$MM_IFACE" up
  [ -n "$MM_IP" ] && ip addr add "$MM_IP" dev "$MM_IFACE"
  [ -n "$MM_GW" ] && ip route add default via "$MM_GW"
fi
echo "${GUEST_READY_MARKER} $(hostname) $MM_IP"
while true; do
  setsid cttyhack sh
  sleep 1
done
`;
}
