/**
 * The suite's seeded share of `npm run fuzz`: a few thousand inputs per target, the same property, a fixed seed, so
 * a parser change that lets an input escape as a foreign exception (or hang) fails here first.
 */
import test from 'ava';
import { fuzz } from './property.ts';
import { TARGETS } from './targets.ts';

const RUNS = 4000;
const SEED = 20261202;

for (const target of TARGETS) {
  test(`fuzz ${target.name}: every input ends in a value or a QuancunError`, async (t) => {
    const report = await fuzz(target, { runs: RUNS, seed: SEED });
    t.is(report.inputs, RUNS, JSON.stringify(report.failure));
    t.is(report.failures, 0, JSON.stringify(report.failure));
  });
}
