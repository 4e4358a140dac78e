#!/usr/bin/env bash
# The virtual kiosk board's guest (docs/virtual-board.md): a Debian bookworm amd64 disk image, its kernel and a small
# initramfs, built as root from Debian packages and cached outside the clone, keyed by this folder's content, so CI's
# fresh clones and every test run reuse it. Prints the cache directory (vmlinuz, initrd.img, rootfs.ext4.zst);
# builds it first when absent. Needs the network (Debian mirror): scripts/test.sh runs it before its private namespace.
#   bash test/board/image/build.sh [--print-dir]    (--print-dir: only print where the image for this recipe lives)
set -euo pipefail
recipe=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache_root=${QUANCUN_BOARD_CACHE:-/var/cache/quancun/board}

# The key: every recipe file's path and content, so any change to a unit, a package or this script rebuilds.
key=$(cd "$recipe" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)
out=$cache_root/$key
if [[ ${1:-} == --print-dir || -f $out/complete ]]; then
  echo "$out"
  exit 0
fi

die() {
  echo "test/board/image/build.sh: $*" >&2
  exit 1
}
((EUID == 0)) || die "must run as root (debootstrap, chroot): run it through scripts/test.sh as root"
for tool in debootstrap mkfs.ext4 zstd unshare; do command -v "$tool" >/dev/null || die "$tool not found (scripts/test.sh installs it)"; done

# The guest's own packages (node is not here: the host's is shared over 9p). The kernel is installed after them, once
# rootfs/etc/initramfs-tools is in place, so its initramfs is made once and small.
GUEST_PACKAGES=(systemd-sysv udev kmod pcscd vsmartcard-vpcd i2c-tools qemu-guest-agent libstdc++6)
# Only in the throwaway copy that compiles gpio-sim.
BUILD_PACKAGES=(gcc make)

# Mounts made for chroots (proc, sysfs) die with this private mount namespace, whatever happens.
if [[ ${QUANCUN_BOARD_IN_NS:-} != 1 ]]; then
  QUANCUN_BOARD_IN_NS=1 exec unshare --mount --propagation private -- bash "${BASH_SOURCE[0]}" "$@"
fi

mkdir -p "$cache_root"
# Two test runs starting together build once: the second waits for the lock, then finds the image.
exec 9>"$cache_root/.lock"
flock 9
if [[ -f $out/complete ]]; then
  echo "$out"
  exit 0
fi

work=$(mktemp -d "$cache_root/.build-XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/root
started=$SECONDS
step() { echo "[board image $((SECONDS - started))s] $*" >&2; }

# The host's own Debian mirror (bookworm main), as apt knows it.
mirror=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE) $(COMPONENT)' 'Identifier: Packages' |
  awk '$2 == "bookworm" && $3 == "main" { print $1; exit }')
[[ -n $mirror ]] || die "no bookworm main mirror in the host's apt sources (run apt-get update)"

step "debootstrap bookworm from $mirror"
debootstrap --variant=minbase --arch=amd64 --include="$(IFS=,; echo "${GUEST_PACKAGES[*]}")" bookworm "$root" "$mirror" \
  >"$work/debootstrap.log" 2>&1 || { tail -n 30 "$work/debootstrap.log" >&2; die "debootstrap failed"; }

in_root() { chroot "$1" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive "${@:2}"; }
mount_proc() { mount -t proc proc "$1/proc" && mount -t sysfs sysfs "$1/sys"; }
apt_in() { # root log-name packages...
  in_root "$1" apt-get install -y -q --no-install-recommends -o Dpkg::Options::=--force-confold "${@:3}" >"$work/$2.log" 2>&1 ||
    { tail -n 30 "$work/$2.log" >&2; die "apt-get install ${*:3} failed"; }
}

step "kernel"
cp -a "$recipe/rootfs/." "$root/"
mount_proc "$root"
apt_in "$root" kernel linux-image-amd64
kver=$(basename "$(ls -d "$root"/lib/modules/*)")
umount "$root/proc" "$root/sys"

# gpio-sim is not in Debian's kernel, nor is the interrupt simulator it needs (CONFIG_GPIO_SIM, CONFIG_IRQ_SIM unset):
# both are compiled into one out-of-tree module from the kernel's own source package, against its headers, in a copy
# of the root that is thrown away (the compiler stays out of the image).
step "gpio-sim for $kver"
build=$work/build
cp -a "$root" "$build"
mount_proc "$build"
srcpkg=linux-source-${kver%%.0-*}
apt_in "$build" build-deps "${BUILD_PACKAGES[@]}" "linux-headers-$kver" "$srcpkg"
mod=$build/gpio-sim
mkdir "$mod"
tar -xJf "$build/usr/src/$srcpkg.tar.xz" -C "$mod" --strip-components=3 "$srcpkg/drivers/gpio/gpio-sim.c" \
  "$srcpkg/drivers/gpio/gpiolib.h" "$srcpkg/kernel/irq/irq_sim.c"
mv "$mod/gpio-sim.c" "$mod/gpio-sim-main.c" # the module is named gpio-sim and made of two objects
printf 'obj-m := gpio-sim.o\ngpio-sim-y := gpio-sim-main.o irq_sim.o\n' >"$mod/Makefile"
# The one patch: irq_sim.c calls irq_to_desc(), which modules may not use (unexported since 5.11);
# generic_handle_irq() is exported and does the same lookup before running the handler, handle_simple_irq.
sed -i 's/handle_simple_irq(irq_to_desc(irqnum));/generic_handle_irq(irqnum);/' "$mod/irq_sim.c"
grep -q 'generic_handle_irq(irqnum);' "$mod/irq_sim.c" || die "irq_sim.c of $srcpkg no longer has the line the patch changes"
in_root "$build" make -C "/lib/modules/$kver/build" M=/gpio-sim modules >"$work/gpio-sim.log" 2>&1 ||
  { tail -n 30 "$work/gpio-sim.log" >&2; die "building gpio-sim failed"; }
install -D -m 644 "$mod/gpio-sim.ko" "$root/lib/modules/$kver/updates/gpio-sim.ko"
umount "$build/proc" "$build/sys"
rm -rf "$build"

step "configuring the guest"
mount_proc "$root"
in_root "$root" depmod "$kver"
# A fixed machine id: the journal works from the first boot and systemd skips its first-boot setup.
echo 5155414e43554e424f41524400000001 >"$root/etc/machine-id"
in_root "$root" systemctl --quiet enable quancun-board.service systemd-networkd.service
# pcscd's own [Install] only names its socket: started at boot as rootfs/etc/systemd/system/pcscd.service.d says.
ln -s /lib/systemd/system/pcscd.service "$root/etc/systemd/system/multi-user.target.wants/pcscd.service"
# The host's node, shared at /opt/node (test/board/qemu.ts), under the names a unit file uses.
ln -s /opt/node/node "$root/usr/local/bin/node"
ln -s /opt/node/node "$root/usr/bin/node"
# Nothing on the screen but what the kiosk draws; no logins, apt timers or file system checks in a test guest.
in_root "$root" systemctl --quiet mask getty@tty1.service getty-static.service serial-getty@ttyS0.service \
  apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service fstrim.timer
umount "$root/proc" "$root/sys"
in_root "$root" apt-get clean

step "disk image"
mkdir "$work/out"
cp "$root/boot/vmlinuz-$kver" "$work/out/vmlinuz"
cp "$root/boot/initrd.img-$kver" "$work/out/initrd.img"
mkfs.ext4 -q -L quancun-board -d "$root" "$work/out/rootfs.ext4" 2G
zstd -q -T0 --rm "$work/out/rootfs.ext4"
echo "$kver" >"$work/out/kernel-release"
touch "$work/out/complete"
rm -rf "$out"
mv "$work/out" "$out"
step "done: $out ($(du -sh "$out" | cut -f1))"
echo "$out"
