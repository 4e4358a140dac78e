import test from 'ava';
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { GENERATED_DOCS } from '../../scripts/gen-docs.ts';

for (const { path, render } of GENERATED_DOCS) {
  const name = relative(process.cwd(), path);
  test(`${name} is what the code generates today`, (t) => {
    t.true(readFileSync(path, 'utf8') === render(), `${name} is stale: run \`npx tsx scripts/gen-docs.ts\` and commit it`);
  });
}
