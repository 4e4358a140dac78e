#!/usr/bin/env bash
# `npm run test:arm64`: Dockerfile.arm's build steps, run for real on arm64 under qemu-user (docs/arm64.md). In a fresh
# copy of the cached arm64 Debian rootfs (scripts/arm64/rootfs.sh), with this checkout's files copied to
# /opt/quancun: npm ci (pcsclite, i2c-bus and epoll compiled, the classic-level, serialport and @napi-rs/canvas arm64
# prebuilds), the native modules loaded, npm run build, npm prune --omit=dev, and `quancun sim load --amount 50.00
# --json` from dist/ with the pruned node_modules (what the image holds) checked against the result the README documents. Prints the time each step took; the last line is
# `N passed, N failed`, the exit status non-zero on any failure.
#   --build      build the rootfs first when the cache lacks it (half an hour to over an hour on a shared machine)
#   --if-cached  pass without running anything when the cache lacks it (for CI machines without the rootfs)
# The arm64 checkout, its node_modules and dist stay in the cache (keyed by the rootfs and package-lock.json) for the
# board test to reuse; the host's node_modules is never touched. Run as root.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. scripts/arm64/lib.sh

passed=0
failed=0
on_exit 'echo "$passed passed, $failed failed"'
mode=${1:-}
[[ -z $mode || $mode == --build || $mode == --if-cached ]] || die "unknown option $mode (--build or --if-cached)"

require_root
require_commands zstd:zstd git:git flock:util-linux
if [[ ! -f $ARM64_ROOTFS_DIR/rootfs.tar.zst ]]; then
  case $mode in
  --build) bash scripts/arm64/rootfs.sh ;;
  --if-cached)
    echo "test:arm64 skipped: no cached arm64 rootfs at $ARM64_ROOTFS_DIR"
    exit 0
    ;;
  *) die "no cached arm64 rootfs at $ARM64_ROOTFS_DIR (key $ARM64_KEY of scripts/arm64/rootfs.conf + rootfs.sh):
  build it with \`npm run test:arm64 -- --build\` or \`bash scripts/arm64/rootfs.sh\` (root, about half an hour, niced)" ;;
  esac
fi
renice -n 15 -p $$ >/dev/null
lock_cache
enable_qemu_user
started=$(now)

mkdir -p "$ARM64_PROJECT" "$ARM64_CACHE/npm"
find "$ARM64_PROJECT" -mindepth 1 -maxdepth 1 ! -name node_modules -exec rm -rf {} +
# This checkout's files as they are (committed or not), without its node_modules, dist or var.
git ls-files -z --cached --others --exclude-standard | grep -zv '^node_modules$' |
  tar --null -T - --ignore-failed-read -cf - | tar -xf - -C "$ARM64_PROJECT"

t=$(now)
root=$(mktemp -d /var/tmp/quancun-arm64.XXXXXX)
on_exit "remove_tree $root"
unpack_rootfs "$root"
mount_chroot "$root"
for bind in "$ARM64_PROJECT:/opt/quancun" "$ARM64_CACHE/npm:/root/.npm"; do
  mkdir -p "$root${bind#*:}"
  mount --bind "${bind%%:*}" "$root${bind#*:}" || die "could not bind-mount ${bind%%:*} into the rootfs"
  on_exit "umount $root${bind#*:}"
done
figures=("rootfs unpacked: $(seconds_since "$t") s")
# The host's extra CAs (on these machines the registry is reached through a TLS-intercepting proxy) come along for
# npm in the chroot, without going into the cached rootfs.
host_env=()
if [[ -n ${NODE_EXTRA_CA_CERTS:-} ]]; then
  cp "$NODE_EXTRA_CA_CERTS" "$root/etc/ssl/host-extra-ca.crt"
  host_env=(NODE_EXTRA_CA_CERTS=/etc/ssl/host-extra-ca.crt)
fi

in_arm64() {
  chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "${host_env[@]}" \
    bash -o pipefail -c "cd /opt/quancun && $1"
}

# The steps, in order: a name, then the command run in the arm64 chroot (a step after a failed one does not run).
steps=(
  "node is arm64, >= 20.19, npm 11"
  "node -e 'const [a, b] = process.versions.node.split(\".\").map(Number); if (process.arch !== \"arm64\" || a < 20 || (a === 20 && b < 19)) process.exit(1)' && node -p 'process.version + \" \" + process.arch' && npm --version | grep '^11\.'"
  "node -e 0"
  "node -e 0"
  "npm ci"
  "npm ci --no-audit --no-fund"
  "native modules load: compiled for aarch64 or arm64 prebuilds"
  "bash scripts/arm64/native-modules.sh"
  "npm run build"
  "npm run build"
  "npm prune --omit=dev"
  "npm prune --omit=dev --no-audit --no-fund"
  "sim load from dist/"
  "node bin/quancun-dist.mjs sim load --amount 50.00 --json | tee /tmp/sim-load.out"
)
for ((i = 0; i < ${#steps[@]}; i += 2)); do
  name=${steps[i]}
  if ((failed)); then
    echo "not run: $name"
    failed=$((failed + 1))
    continue
  fi
  echo "== $name"
  t=$(now)
  if in_arm64 "${steps[i + 1]}"; then
    passed=$((passed + 1))
    figures+=("$name: $(seconds_since "$t") s")
  else
    echo "FAILED: $name" >&2
    failed=$((failed + 1))
  fi
done

if ((failed)); then
  echo "not run: sim load result is the README's"
  failed=$((failed + 1))
elif check_sim_load_result "$root/tmp/sim-load.out"; then
  passed=$((passed + 1))
else
  echo "FAILED: sim load result is not the README's" >&2
  failed=$((failed + 1))
fi

echo "== figures (qemu-user, arm64 $(cat "$root/etc/debian_version"), on $(nproc) shared $(uname -m) cores)"
printf '%s\n' "${figures[@]}" "test:arm64 total (from the cache): $(seconds_since "$started") s"
echo "arm64 checkout with node_modules and dist: $ARM64_PROJECT"
((failed == 0))
