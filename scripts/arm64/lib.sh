# Sourced by scripts/arm64/rootfs.sh and scripts/test-arm64.sh: the cache's place and key, cleanup on exit, qemu-user
# through binfmt_misc, and a chroot with /proc, /sys and /dev. Every mount and registration made here is undone on exit.

ARM64_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ARM64_REPO=$(cd "$ARM64_DIR/../.." && pwd)
ARM64_CACHE=${QUANCUN_ARM64_CACHE:-/var/cache/quancun/arm64}
# The rootfs is keyed by its recipe: what goes into it (rootfs.conf) and how it is made (rootfs.sh).
ARM64_KEY=$(cat "$ARM64_DIR/rootfs.conf" "$ARM64_DIR/rootfs.sh" | sha256sum | cut -c1-16)
ARM64_ROOTFS_DIR=$ARM64_CACHE/$ARM64_KEY
# The arm64 checkout test:arm64 leaves (sources, node_modules, dist): its native modules are built against this
# rootfs's Node and headers, so it is keyed by both the rootfs and package-lock.json.
ARM64_PROJECT=$ARM64_ROOTFS_DIR/quancun-$(cat "$ARM64_REPO/package-lock.json" <(echo "$ARM64_KEY") | sha256sum | cut -c1-16)
BINFMT=/proc/sys/fs/binfmt_misc

die() {
  echo "${0##*/}: $*" >&2
  exit 1
}

# Cleanup actions run in reverse order of registration when the script exits, however it exits.
ON_EXIT=()
on_exit() { ON_EXIT+=("$1"); }
run_on_exit() {
  local i
  for ((i = ${#ON_EXIT[@]} - 1; i >= 0; i--)); do eval "${ON_EXIT[i]}" || echo "cleanup failed: ${ON_EXIT[i]}" >&2; done
}
trap run_on_exit EXIT

require_root() { ((EUID == 0)) || die "must run as root (chroot, mounts, binfmt_misc)"; }

# require_commands 'command:Debian package' ...
require_commands() {
  local spec missing=()
  for spec in "$@"; do command -v "${spec%%:*}" >/dev/null || missing+=("${spec#*:}"); done
  ((${#missing[@]} == 0)) || die "missing commands; install them: apt-get install -y ${missing[*]}"
}

# One user of qemu-user and the cache at a time: the binfmt registration below is undone by whoever made it.
lock_cache() {
  mkdir -p "$ARM64_CACHE"
  exec {ARM64_LOCK}>"$ARM64_CACHE/.lock"
  flock -n "$ARM64_LOCK" || die "$ARM64_CACHE is in use by another run (lock $ARM64_CACHE/.lock)"
}

# arm64 binaries run through qemu-aarch64-static, registered with the fix-binary flag so a chroot needs no copy of it.
enable_qemu_user() {
  require_commands qemu-aarch64-static:qemu-user-static update-binfmts:binfmt-support
  if ! mountpoint -q "$BINFMT"; then
    mount -t binfmt_misc binfmt_misc "$BINFMT" || die "could not mount binfmt_misc on $BINFMT"
    on_exit "umount $BINFMT"
  fi
  if [[ ! -e $BINFMT/qemu-aarch64 ]]; then
    update-binfmts --enable qemu-aarch64 || die "update-binfmts --enable qemu-aarch64 failed"
    on_exit "update-binfmts --disable qemu-aarch64"
  fi
  grep -q '^flags: .*F' "$BINFMT/qemu-aarch64" || die "qemu-aarch64 is registered without the F (fix-binary) flag"
}

# mount_chroot <rootfs>: /proc, /sys, /dev and /dev/pts for programs run in it, and the host's DNS resolver.
mount_chroot() {
  local root=$1 fs
  for fs in proc sys dev dev/pts; do
    mount --bind "/$fs" "$root/$fs" || die "could not bind-mount /$fs into $root"
    on_exit "umount $root/$fs"
  done
  cp /etc/resolv.conf "$root/etc/resolv.conf"
}

# t=$(now) ... seconds_since "$t": elapsed seconds, one decimal.
now() { date +%s.%N; }
seconds_since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# remove_tree <dir>: rm -rf, but only once nothing is mounted under it (a bind mount left there would be emptied too).
remove_tree() {
  if grep -q " $1/" /proc/mounts; then
    echo "left $1 in place: something is still mounted under it" >&2
    return 1
  fi
  rm -rf "$1"
}

# unpack_rootfs <dir>: the cached rootfs, fresh, into <dir>.
unpack_rootfs() {
  zstd -dc "$ARM64_ROOTFS_DIR/rootfs.tar.zst" | tar --numeric-owner --xattrs --acls -xf - -C "$1" ||
    die "could not unpack $ARM64_ROOTFS_DIR/rootfs.tar.zst into $1"
}

# check_sim_load_result <file>: the last line of <file> is the JSON result the README documents for
# `quancun sim load --amount 50.00 --json` (the line under that example).
check_sim_load_result() {
  local expected
  expected=$(grep -A1 -F 'quancun sim load --amount 50.00 --json' "$ARM64_REPO/README.md" | sed -n 's/^# \({.*}\)$/\1/p')
  [[ -n $expected ]] || die "README.md no longer shows the JSON result of \`quancun sim load --amount 50.00 --json\`"
  node -e '
    const { deepStrictEqual } = require("node:assert");
    const lines = require("node:fs").readFileSync(process.argv[1], "utf8").trim().split("\n");
    deepStrictEqual(JSON.parse(lines.at(-1)), JSON.parse(process.argv[2]));' "$1" "$expected" &&
    echo "sim load result is the README's: $expected"
}
