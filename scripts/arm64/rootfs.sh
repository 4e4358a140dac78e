#!/usr/bin/env bash
# Builds the arm64 Debian rootfs that `npm run test:arm64` (qemu-user chroot) and the board test (qemu-system-aarch64
# -M virt) run in, unless the cache already holds it: debootstrap --foreign on the host, the second stage under
# qemu-aarch64-static, Node.js and npm from the npm registry. The result, under $QUANCUN_ARM64_CACHE (default
# /var/cache/quancun/arm64)/<key>/, key = sha256 of rootfs.conf + rootfs.sh:
#   rootfs.tar.zst   the root filesystem (numeric owners, xattrs); node and npm in /usr/local
#   vmlinuz, initrd.img   its kernel and initramfs, for direct kernel boot
#   build.txt        versions and how long each stage took
# Prints that directory. Runs niced: the machine is shared. About half an hour under emulation.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$ARM64_DIR/rootfs.conf"

if [[ -f $ARM64_ROOTFS_DIR/rootfs.tar.zst ]]; then
  echo "$ARM64_ROOTFS_DIR"
  exit 0
fi
require_root
require_commands debootstrap:debootstrap zstd:zstd npm:npm flock:util-linux apt-cache:apt
renice -n 15 -p $$ >/dev/null
lock_cache
enable_qemu_user

# The Debian mirror the host's apt sources use for this suite.
mirror=$(apt-cache policy | awk -v s="$SUITE/main" '$3 == s && $2 ~ /^https?:/ { print $2; exit }')
[[ -n $mirror ]] || die "no $SUITE main mirror in the host's apt sources (apt-cache policy); run apt-get update"

work=$ARM64_ROOTFS_DIR.work
# A failed build's work directory stays for inspection; the next build starts by removing it.
rm -rf "$work"
mkdir -p "$work/dl"
root=$work/rootfs
started=$(now)
log() { echo "$*" | tee -a "$work/build.txt"; }
log "rootfs $ARM64_KEY: $SUITE arm64 from $mirror, built $(date -u +%FT%TZ) on $(uname -m)"

t=$(now)
include=$(IFS=,; echo "${PACKAGES[*]}")
debootstrap --arch=arm64 --foreign --variant=minbase --include="$include" "$SUITE" "$root" "$mirror" ||
  die "debootstrap first stage failed (see $root/debootstrap/debootstrap.log)"
log "debootstrap first stage (download, unpack): $(seconds_since "$t") s"

t=$(now)
chroot "$root" /debootstrap/debootstrap --second-stage ||
  die "debootstrap second stage under qemu-user failed (see $root/debootstrap/debootstrap.log)"
log "debootstrap second stage under qemu-user: $(seconds_since "$t") s"

# A bootable board image: the root disk is the virtio disk of qemu-system-aarch64 -M virt.
echo quancun-arm64 >"$root/etc/hostname"
echo '/dev/vda / ext4 rw,errors=remount-ro 0 1' >"$root/etc/fstab"
chroot "$root" apt-get clean
rm -rf "$root"/var/lib/apt/lists/*

# Node.js and npm, checked against the pinned integrity before anything of them is unpacked.
t=$(now)
fetch_package() { # fetch_package <name@version> <sha512 integrity>: prints the tarball's path
  local got
  got=$(cd "$work/dl" && npm pack "$1" --json --silent | node -e \
    'const [p] = JSON.parse(require("fs").readFileSync(0, "utf8")); console.log(p.integrity + " " + p.filename)')
  [[ ${got%% *} == "$2" ]] || die "$1: integrity ${got%% *} is not the pinned $2"
  echo "$work/dl/${got#* }"
}
node_tgz=$(fetch_package "$NODE_PACKAGE" "$NODE_INTEGRITY")
npm_tgz=$(fetch_package "$NPM_PACKAGE" "$NPM_INTEGRITY")
mkdir -p "$work/dl/node" "$root/usr/local/lib/node_modules/npm" "$root/usr/local/etc"
tar -xzf "$node_tgz" -C "$work/dl/node"
install -m 755 "$work/dl/node/package/bin/node" "$root/usr/local/bin/node"
cp -r "$work/dl/node/package/include" "$root/usr/local/"
tar -xzf "$npm_tgz" -C "$root/usr/local/lib/node_modules/npm" --strip-components=1
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
# node-gyp takes the headers from the Node.js package instead of downloading them from nodejs.org.
printf '%s\n' nodedir=/usr/local fund=false audit=false update-notifier=false >"$root/usr/local/etc/npmrc"
versions=$(chroot "$root" /usr/local/bin/node -p 'process.version + " " + process.arch')
[[ $versions == "$NODE_VERSION arm64" ]] || die "node in the rootfs reports '$versions', not '$NODE_VERSION arm64'"
log "node $versions (sha256 $(sha256sum "$root/usr/local/bin/node" | cut -c1-64)), npm $(chroot "$root" /usr/local/bin/npm --version): $(seconds_since "$t") s"

t=$(now)
cp "$root"/boot/vmlinuz-* "$work/vmlinuz"
cp "$root"/boot/initrd.img-* "$work/initrd.img"
log "kernel $(basename "$root"/boot/vmlinuz-*)"
tar --numeric-owner --xattrs --acls -C "$root" -cf - . | zstd -q -T0 -10 -o "$work/rootfs.tar.zst"
log "rootfs.tar.zst: $(du -m "$work/rootfs.tar.zst" | cut -f1) MB from $(du -sm "$root" | cut -f1) MB: $(seconds_since "$t") s"
log "total: $(seconds_since "$started") s"

rm -rf "$root" "$work/dl"
mv "$work" "$ARM64_ROOTFS_DIR"
echo "$ARM64_ROOTFS_DIR"
