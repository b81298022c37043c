#!/usr/bin/env bash
# Installs everything the project needs on a fresh Debian 12 + Node 20 machine.
# Idempotent: each step is skipped when already satisfied.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

# Debian packages the tests and the daemon use (real QEMU, OVS, namespaces, guest image).
# python3: the compatibility test speaks the protocol as minimega's Python bindings do
# chromium: miniweb's browser tests (driven by playwright-core)
# tcpdump: the private-mesh test checks that no plaintext crosses the wire
DEB_PKGS=(qemu-system-x86 qemu-utils openvswitch-switch cpio busybox-static iproute2 procps tmux python3 chromium tcpdump)
# openssh: deploy copies and starts minimega over ssh (its tests run an sshd per host)
DEB_PKGS+=(openssh-client openssh-server)
# deploy: zstd unpacks the compressed executable on hosts (gzip otherwise); sudo for `deploy launch <hosts> <user> sudo` (its real test)
DEB_PKGS+=(zstd sudo)
# `check` reports minimega's external programs: dnsmasq (the binary only, no service),
# dhclient and ntfs-3g (disk inject of NTFS images) are among them
DEB_PKGS+=(dnsmasq-base isc-dhcp-client ntfs-3g)
missing=()
for p in "${DEB_PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: apt-get install ${missing[*]}"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
# The Debian OVS package starts a system OVS service; we run private instances instead.
if command -v systemctl >/dev/null 2>&1; then $SUDO systemctl stop openvswitch-switch 2>/dev/null || true; fi

if ! command -v pnpm >/dev/null 2>&1 || ! pnpm --version 2>/dev/null | grep -q '^10\.'; then
  echo "install-deps: npm install -g pnpm@10"
  npm install -g pnpm@10 >/dev/null
fi
pnpm install --frozen-lockfile
