#!/bin/sh
# The virtual board's devices and shares, set up once at boot by quancun-board.service (docs/virtual-board.md).
set -eu

# The host's 9p shares (test/board/qemu.ts names them): the project read-only at /opt/quancun, the folder of the
# host's node binary at /opt/node, the exchange folder read-write at /srv/exchange. A git worktree's node_modules is
# a symlink to another checkout: that folder is shared as "modules" and mounted where the symlink points.
shares() {
  modprobe -a 9pnet_virtio 9p
  # Read-only shares do not change during a boot: cached (node loads thousands of files). The exchange is not, so
  # each side sees the other's writes at once.
  rw_opts=trans=virtio,version=9p2000.L,msize=262144
  ro=$rw_opts,cache=loose,ro
  mkdir -p /opt/quancun /opt/node /srv/exchange
  mount -t 9p -o "$ro" project /opt/quancun
  mount -t 9p -o "$ro" hostnode /opt/node
  mount -t 9p -o "$rw_opts" exchange /srv/exchange
  if [ -L /opt/quancun/node_modules ]; then
    target=$(readlink -m /opt/quancun/node_modules)
    mkdir -p "$target"
    mount -t 9p -o "$ro" modules "$target"
  fi
}

# One simulated GPIO chip labelled "quancun-board" with the kiosk's lines at fixed offsets, named after their
# signals. Lines stay unexported: onoff exports the ones the kiosk opens (and unexports them when it stops).
gpio() {
  modprobe gpio-sim
  mountpoint -q /sys/kernel/config || mount -t configfs configfs /sys/kernel/config
  dev=/sys/kernel/config/gpio-sim/quancun
  mkdir "$dev" "$dev/bank0"
  echo 8 >"$dev/bank0/num_lines"
  echo quancun-board >"$dev/bank0/label"
  offset=0
  for name in door led-ready led-busy led-fault reader-power buzzer spare-6 spare-7; do
    mkdir "$dev/bank0/line$offset"
    echo "$name" >"$dev/bank0/line$offset/name"
    offset=$((offset + 1))
  done
  echo 1 >"$dev/live"
}

# The identity EEPROM (0x50) and the LM75 (0x48) as i2c-stub chips on /dev/i2c-1, the bus a Raspberry Pi's header
# has: the PIIX4 SMBus (loaded above) is bus 0, so the stub comes next. Checked, not assumed.
i2c() {
  modprobe i2c-dev
  modprobe i2c-stub chip_addr=0x48,0x50
  read -r name </sys/bus/i2c/devices/i2c-1/name
  [ "$name" = "SMBus stub driver" ] || { echo "quancun-board: i2c-1 is \"$name\", not i2c-stub" >&2; exit 1; }
}

# The framebuffer belongs to the kiosk: the text console is taken off it and the screen starts black.
screen() {
  for vt in /sys/class/vtconsole/vtcon*; do
    if grep -q 'frame buffer' "$vt/name"; then echo 0 >"$vt/bind"; fi
  done
  read -r size </sys/class/graphics/fb0/virtual_size
  read -r stride </sys/class/graphics/fb0/stride
  head -c $((stride * ${size#*,})) /dev/zero >/dev/fb0
}

# The screen's and the PIIX4 SMBus's drivers are loaded here too (a no-op when udev's coldplug already has): the
# SMBus is then i2c-0 before the stub comes. Then only the nodes the board needs are waited for, which under TCG is
# 20 s quicker than waiting for udev's whole queue (udevadm settle).
modprobe -a bochs i2c_piix4
udevadm wait --timeout=120 /dev/fb0 /dev/ttyS1 /dev/ttyS2 /dev/input/touchscreen
for step in shares gpio i2c screen; do
  echo "quancun-board: $step"
  "$step"
done
