/**
 * A shipped bank profile with one mistake each, written to a file and loaded from it: each must fail at load time
 * with CONFIG_INVALID naming the file and the reason. One runner for every shipped profile's fixtures.
 */
import test from 'ava';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { QuancunError } from '../../common/errors.ts';
import { loadBankProfile } from '../../gateway/bank/iso8583/profile.ts';
import { tempDir } from './temp-dir.ts';

export type ProfileMistake = [name: string, mutate: (profile: any) => void, reason: RegExp];

export function profileMistakeTests(profilePath: string, mistakes: ProfileMistake[]): void {
  for (const [name, mutate, reason] of mistakes) {
    test(`profile error at load time: ${name}`, async (t) => {
      const raw = JSON.parse(readFileSync(profilePath, 'utf8'));
      mutate(raw);
      const path = join(await tempDir(t), `${name}.json`);
      writeFileSync(path, JSON.stringify(raw));
      const err = t.throws(() => loadBankProfile(path), { instanceOf: QuancunError });
      t.is(err?.code, 'CONFIG_INVALID');
      t.true(err!.message.startsWith(`${path}: `), err!.message);
      t.regex(err!.message, reason);
    });
  }
}
