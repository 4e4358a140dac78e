#!/usr/bin/env bash
# The project's test command (`npm test`, `npm test -- test/unit/money.test.ts`): installs what the tests need, then runs
# the whole ava suite inside a private mount + network namespace with its own pcscd and vpcd virtual readers, so tests
# drive the real PC/SC stack without touching the host's pcscd, readers or routes. See docs/pcsc-testing.md.
# The last line printed is always `N passed, N failed` (CI reads it); the exit status is non-zero on any failure.
# `scripts/test.sh --exec <command…>` runs a command in that same private namespace instead of the suite (e.g.
# `node bin/quancun.mjs chaos --field pcsc`), with its exit status.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

DEBIAN_PACKAGES=(pcscd libpcsclite-dev vsmartcard-vpcd mosquitto socat chromium fonts-wqy-microhei zbar-tools
  iproute2 util-linux build-essential python3 openssl
  postgresql # the gateway's store on PostgreSQL: private clusters per test process (sim/postgres/, docs/store.md)
  qemu-system-x86 debootstrap zstd e2fsprogs) # the virtual kiosk board (test/board/, docs/virtual-board.md)
# vpcd slots for tests: each reader.conf entry opens two slots, on its port and the next one.
VPCD_ENTRY_PORTS=(35963 35965 35967 35969)

summary() { echo "$1 passed, $2 failed"; }
die() {
  echo "scripts/test.sh: $*" >&2
  summary 0 0
  exit 1
}

prepare_host() {
  local missing=() pkg
  for pkg in "${DEBIAN_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  if ((${#missing[@]})); then
    if ((EUID != 0)); then
      echo "Missing Debian packages: ${missing[*]}" >&2
      die "install them first: sudo apt-get update && sudo apt-get install -y ${missing[*]}"
    fi
    echo "Installing Debian packages: ${missing[*]}"
    apt-get update -q || die "apt-get update failed"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" || die "apt-get install ${missing[*]} failed"
  fi

  # npm writes node_modules/.package-lock.json on every install: older than package-lock.json means stale.
  if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
    echo "Installing npm dependencies (npm ci)"
    npm ci --no-audit --no-fund || die "npm ci failed"
  fi
  if ! node --import tsx test/support/native-modules.ts 2>/dev/null; then
    # Optional addons (pcsclite, i2c-bus, epoll) are dropped by an npm ci that ran before their build dependencies
    # were installed: one more npm ci builds them now.
    echo "Rebuilding npm dependencies (npm ci): a native module did not load"
    npm ci --no-audit --no-fund || die "npm ci failed"
    node --import tsx test/support/native-modules.ts || die "native modules do not load (see above)"
  fi
  # npm ci mends pcsclite (its postinstall); a node_modules installed before that mend existed gets it here.
  node scripts/pcsclite-bounded-wait.mjs >/dev/null || die "could not mend pcsclite (scripts/pcsclite-bounded-wait.mjs, see above)"

  ((EUID == 0)) || die "must run as root: the tests need a private pcscd in its own mount and network namespace (unshare --mount --net), see docs/pcsc-testing.md"
  command -v unshare >/dev/null || die "unshare not found (Debian package util-linux)"
  mkdir -p /run/pcscd # the bind-mount target; harmless on the host

  # The virtual board's guest image is built from the Debian mirror, out of reach inside the namespace: here, once per
  # recipe (cached in /var/cache/quancun/board), when the run includes test/board (the whole suite or a path there).
  if (($# == 0)) || [[ " $* " == *" test/board"* ]]; then
    bash test/board/image/build.sh >/dev/null || die "building the board guest image failed (see above)"
  fi

  # Dockerfile.arm's steps on arm64 (npm run test:arm64, docs/arm64.md) need the npm registry, also out of reach inside
  # the namespace: run here on a whole-suite run when the arm64 rootfs is cached; its counts join the summary.
  if (($# == 0)) && [[ ${QUANCUN_EXEC:-} != 1 ]]; then
    # Its output through a file, not `tee /dev/stderr`: reopening stderr when it is a log file writes from offset 0
    # over what the suite writes after.
    local arm64 log
    log=$(mktemp)
    bash scripts/test-arm64.sh --if-cached >"$log" 2>&1
    cat "$log" >&2
    arm64=$(tail -n 1 "$log")
    rm -f "$log"
    if [[ $arm64 =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
      export QUANCUN_ARM64_PASSED=${BASH_REMATCH[1]} QUANCUN_ARM64_FAILED=${BASH_REMATCH[2]}
    else
      export QUANCUN_ARM64_PASSED=0 QUANCUN_ARM64_FAILED=1
    fi
  fi
}

# Inside the namespaces: loopback up with quick ACKs, a private /run/pcscd, pcscd with our vpcd slots, then ava.
run_in_namespace() {
  local work pcscd_pid=
  work=$(mktemp -d /tmp/quancun-pcscd.XXXXXX)
  cleanup() {
    if [[ -n $pcscd_pid ]]; then
      kill -TERM "$pcscd_pid" 2>/dev/null
      wait "$pcscd_pid" 2>/dev/null
    fi
    rm -rf "$work"
  }
  trap cleanup EXIT

  ip link set lo up || die "ip link set lo up failed"
  # vpcd sends length and payload in two writes without TCP_NODELAY: quick ACKs stop the 40 ms delayed-ACK stall.
  if [[ ${QUANCUN_NO_QUICKACK:-} != 1 ]]; then
    ip route change local 127.0.0.1 dev lo proto kernel scope host src 127.0.0.1 table local quickack 1 ||
      die "could not set quickack on the namespace's loopback route"
  fi
  mkdir -p "$work/run" "$work/reader.conf.d"
  mount --bind "$work/run" /run/pcscd || die "could not bind-mount a private /run/pcscd"

  # One entry per two slots. Distinct friendly names, or pcscd numbers every entry "00"; a copy of the driver per
  # entry, because pcscd loads a LIBPATH once and vpcd keeps its sockets per slot in that one copy.
  local driver=/usr/lib/pcsc/drivers/serial/libifdvpcd.so port name lib ports=() readers=() index=0
  for port in "${VPCD_ENTRY_PORTS[@]}"; do
    name="Virtual PCD" lib=$driver
    if ((index > 0)); then
      name+=" $((index + 1))" lib=$work/libifdvpcd-$index.so
      cp "$driver" "$lib"
    fi
    printf 'FRIENDLYNAME "%s"\nDEVICENAME   /dev/null:%d\nLIBPATH      %s\nCHANNELID    %d\n\n' "$name" "$port" "$lib" "$port" \
      >>"$work/reader.conf.d/vpcd"
    ports+=("$port" $((port + 1)))
    readers+=("$name 00 00" "$name 00 01")
    index=$((index + 1))
  done

  local log=${QUANCUN_PCSCD_LOG:-$work/pcscd.log}
  pcscd --foreground --debug --config "$work/reader.conf.d" >"$log" 2>&1 &
  pcscd_pid=$!
  # Bounded wait for pcscd's socket: this waits for the daemon, not for code under test.
  local tries
  for ((tries = 0; tries < 200; tries++)); do
    [[ -S /run/pcscd/pcscd.comm ]] && break
    kill -0 "$pcscd_pid" 2>/dev/null || break
    sleep 0.05
  done
  [[ -S /run/pcscd/pcscd.comm ]] || { tail -n 20 "$log" >&2; die "private pcscd did not start"; }

  mkdir "$work/locks" # tests claim vpcd slots here (test/support/pcsc.ts)
  export QUANCUN_PCSCD=1 QUANCUN_PCSCD_LOG=$log QUANCUN_VPCD_LOCKS=$work/locks
  QUANCUN_VPCD_PORTS=$(IFS=,; echo "${ports[*]}")
  QUANCUN_VPCD_READERS=$(IFS=,; echo "${readers[*]}")
  export QUANCUN_VPCD_PORTS QUANCUN_VPCD_READERS

  if [[ ${QUANCUN_EXEC:-} == 1 ]]; then
    "$@"
    exit $?
  fi

  # ava's own output stays as it is; its per-test lines are counted for the summary (CI does not read ava's).
  local out=$work/ava.out status
  if (($# == 0)); then
    # The virtual board's guests emulate their CPU in software (TCG): they run after the rest of the suite, one at a
    # time, so their pace does not depend on which test files share the two cores with them.
    local rest=() board=() on_postgres=()
    mapfile -t rest < <(find test -name '*.test.ts' -not -path 'test/board/*' | sort)
    mapfile -t board < <(find test/board -name '*.test.ts' | sort)
    npx ava "${rest[@]}" 2>&1 | tee "$out"
    status=${PIPESTATUS[0]}
    # The e2e suite once more with every test system's gateway on PostgreSQL (test/support/postgres.ts, docs/store.md).
    mapfile -t on_postgres < <(grep -lE 'start(Pcsc)?TestSystem\(|startConsoleSystem\(|startCommandKiosk\(|processSystem\(|storeOnPostgres|passStore\(' test/e2e/*.test.ts | sort)
    echo "== the e2e suite again, the gateway's store on PostgreSQL (${#on_postgres[@]} files) ==" | tee -a "$out"
    QUANCUN_TEST_STORE=postgres npx ava "${on_postgres[@]}" 2>&1 | tee -a "$out"
    ((PIPESTATUS[0] == 0)) || status=1
    npx ava --concurrency 1 "${board[@]}" 2>&1 | tee -a "$out"
    ((PIPESTATUS[0] == 0)) || status=1
  else
    npx ava "$@" 2>&1 | tee "$out"
    status=${PIPESTATUS[0]}
  fi
  sed -i 's/\x1b\[[0-9;]*m//g' "$out"

  local passed failed
  passed=$(grep -Ec '^\s*✔ ' "$out")
  # Failed tests and hooks, tests still pending at a timeout, and crashes of whole test files.
  failed=$(grep -Ec '^\s*✘ \[(fail|unexpected pass)\]:|^\s*◌ |^Uncaught exception in |^Unhandled rejection in |✘ .* exited (due to|with a non-zero)' "$out")
  echo
  if ((status == 0 && passed == 0)); then
    echo "scripts/test.sh: no test ran" >&2
    status=1
  elif ((status != 0 && failed == 0)); then
    # e.g. a file with no tests or a test file that could not load.
    echo "scripts/test.sh: ava exited with status $status without reporting a failed test" >&2
    failed=1
  fi
  passed=$((passed + ${QUANCUN_ARM64_PASSED:-0}))
  failed=$((failed + ${QUANCUN_ARM64_FAILED:-0}))
  ((${QUANCUN_ARM64_FAILED:-0} == 0)) || status=1
  summary "$passed" "$failed"
  exit "$status"
}

if [[ ${1:-} == --in-namespace ]]; then
  shift
  run_in_namespace "$@"
fi

if [[ ${1:-} == --exec ]]; then
  shift
  (($#)) || die "--exec needs a command"
  export QUANCUN_EXEC=1
fi

prepare_host "$@"
# --kill-child: if this script is killed, the namespace's processes (pcscd, test workers) go with it.
exec unshare --mount --net --fork --kill-child -- bash "${BASH_SOURCE[0]}" --in-namespace "$@"
