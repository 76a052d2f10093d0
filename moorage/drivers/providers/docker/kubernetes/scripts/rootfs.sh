#!/bin/bash
# The node's root file system: debootstrap a minimal bookworm with Debian's containerd,
# runc, CNI plugins, iptables and tools, from the mirror apt is configured with. Cached
# as a tar ($ROOTFS, named after the package list): about a minute, once per machine.
. "$(dirname "$0")/common.sh"
if [ -f "$ROOTFS" ]; then echo "$ROOTFS: already made"; exit 0; fi
MIRROR=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null ||
	true)
[ -n "$MIRROR" ] || MIRROR=$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list)
mkdir -p "$(dirname "$ROOTFS")"
R=$(mktemp -d)
trap 'rm -rf "$R" "$ROOTFS.tmp"' EXIT
t0=$(date +%s)
debootstrap --variant=minbase --include="$NODE_PACKAGES" bookworm "$R" "$MIRROR"
rm -rf "$R"/var/cache/apt/archives/*.deb "$R"/var/lib/apt/lists/* "$R"/usr/share/doc/* \
	"$R"/usr/share/man/* "$R"/usr/share/info/*
tar -C "$R" --numeric-owner -cf "$ROOTFS.tmp" . && mv "$ROOTFS.tmp" "$ROOTFS"
echo "debootstrap: $(($(date +%s) - t0)) s -> $ROOTFS"
