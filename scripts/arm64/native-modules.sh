#!/usr/bin/env bash
# Run by test-arm64.sh in the arm64 rootfs after npm ci, in the checkout: every native module loads
# (test/support/native-modules.ts), the ones compiled on install are aarch64 ELF files, and the ones that ship
# prebuilds load their linux-arm64 one.
set -euo pipefail
node --import tsx test/support/native-modules.ts
for addon in node_modules/{pcsclite,i2c-bus,epoll}/build/Release/*.node; do
  [[ $(od -An -tx1 -j18 -N2 "$addon") == ' b7 00' ]] || { echo "$addon is not an aarch64 ELF file" >&2; exit 1; }
  echo "compiled on install: $addon"
done
node -e '
  const { dirname } = require("node:path");
  for (const m of ["classic-level", "@serialport/bindings-cpp"])
    console.log("prebuild: " + require("node-gyp-build").path(dirname(require.resolve(m + "/package.json"))));
  console.log("prebuild: " + require.resolve("@napi-rs/canvas-linux-arm64-gnu"));'
