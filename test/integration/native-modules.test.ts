/** Every native module loads: an unbuilt addon (npm 11 allowScripts) fails here by name, not later on a kiosk. */
import test from 'ava';
import { NATIVE_MODULES, nativeLoadFailure } from '../support/native-modules.ts';

for (const entry of NATIVE_MODULES) {
  test(`native module ${entry.module} loads`, (t) => {
    const failure = nativeLoadFailure(entry);
    if (failure) t.fail(failure);
    else t.pass();
  });
}
