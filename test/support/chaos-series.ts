/** One `quancun chaos … --json` series in a test: it must end with no violation; its summary and its text. */
import type { ExecutionContext } from 'ava';
import { lastJson, quancun } from './cli.ts';

export type ChaosSummary = {
  runs: number; mix: Record<string, number>; faults: Record<string, number>; tears: Record<string, number>; fired: Record<string, number>; violations: unknown[];
};

export async function chaosSeries(t: ExecutionContext, ...args: string[]): Promise<{ summary: ChaosSummary; stdout: string }> {
  t.timeout(900_000);
  const run = await quancun('chaos', ...args, '--json');
  // A series that ended without its summary (the harness failed) says why: its stderr's end.
  if (!run.stdout.trimEnd().endsWith('}')) throw new Error(`quancun chaos ${args.join(' ')} ended ${run.code} with no summary:\n${run.stderr.slice(-4000)}`);
  const summary = lastJson<ChaosSummary>(run.stdout);
  t.deepEqual(summary.violations, [], run.stdout);
  t.is(run.code, 0, run.stderr);
  return { summary, stdout: run.stdout };
}
