/** Every native module loads: an unbuilt addon (npm 11 allowScripts) fails here by name, not later on a kiosk. */
import test from 'ava';
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { NATIVE_MODULES, nativeLoadFailure } from '../support/native-modules.ts';

for (const entry of NATIVE_MODULES) {
  test(`native module ${entry.module} loads`, (t) => {
    const failure = nativeLoadFailure(entry);
    if (failure) t.fail(failure);
    else t.pass();
  });
}

test('pcsclite is built with its status waits in steps, so closing a reader cannot hang (scripts/pcsclite-bounded-wait.mjs)', (t) => {
  const require = createRequire(import.meta.url);
  const pkg = dirname(require.resolve('pcsclite/package.json'));
  for (const file of ['src/cardreader.cpp', 'src/pcsclite.cpp']) {
    const source = readFileSync(join(pkg, file), 'utf8');
    t.false(/SCardGetStatusChange\([^;]*INFINITE/.test(source), `${file} still waits without a limit`);
    t.true(/SCardGetStatusChange\([^;]*, 250, /.test(source), `${file} waits in steps of 250 ms`);
  }
  // Built after the mend: the addon is newer than the sources it was built from.
  const built = statSync(join(pkg, 'build', 'Release', 'pcsclite.node')).mtimeMs;
  for (const file of ['src/cardreader.cpp', 'src/pcsclite.cpp']) t.true(built >= statSync(join(pkg, file)).mtimeMs, `${file} changed after the build`);
});
