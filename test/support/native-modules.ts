/**
 * The native modules quancun loads, and a check that each one really loads. npm 11 skips dependency install scripts
 * not approved in package.json "allowScripts" and still exits 0, leaving addons unbuilt until first use on a kiosk.
 * Run directly (scripts/test.sh does, before the suite) it prints each failure and exits 1.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);

function approve(pkg: string): string {
  return `its install script did not run: allow it in package.json ("allowScripts": { "${pkg}": true }, or \`npm install-scripts approve ${pkg}\`), then \`rm -rf node_modules && npm ci\``;
}

/** Module to require, who needs it, and the fix when it does not load. */
export const NATIVE_MODULES: readonly { module: string; usedBy: string; fix: string }[] = [
  { module: 'pcsclite', usedBy: 'PC/SC card reader', fix: `${approve('pcsclite')} (needs libpcsclite-dev, build-essential, python3)` },
  { module: 'classic-level', usedBy: 'level (journal and stores)', fix: approve('classic-level') },
  { module: '@serialport/bindings-cpp', usedBy: 'serialport (PIN pad, printer)', fix: approve('@serialport/bindings-cpp') },
  { module: 'i2c-bus', usedBy: 'EEPROM / sensors', fix: `${approve('i2c-bus')} (needs build-essential, python3)` },
  { module: 'epoll', usedBy: 'onoff (GPIO), touch input', fix: `${approve('epoll')} (needs build-essential, python3)` },
  { module: 'unix-dgram', usedBy: 'systemd notify and journal', fix: `${approve('unix-dgram')} (needs build-essential, python3)` },
  {
    module: '@napi-rs/canvas',
    usedBy: 'screens',
    fix: 'its prebuilt platform package (an optional dependency) is missing: run `npm ci` without --omit=optional on this platform',
  },
];

export type NativeModule = (typeof NATIVE_MODULES)[number];

/** Why the module does not load, with the fix; undefined when it loads. */
export function nativeLoadFailure({ module, usedBy, fix }: NativeModule): string | undefined {
  try {
    require(module);
    return undefined;
  } catch (err) {
    const reason = err instanceof Error ? err.message.split('\n')[0] : String(err);
    return `native module ${module} (${usedBy}) does not load: ${reason}\n  fix: ${fix}`;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const failures = NATIVE_MODULES.map(nativeLoadFailure).filter((f) => f !== undefined);
  for (const failure of failures) console.error(failure);
  process.exitCode = failures.length ? 1 : 0;
}
