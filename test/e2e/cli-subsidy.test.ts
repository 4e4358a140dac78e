/**
 * `quancun subsidy import | issue | report` as an operator runs them on the embedded default's data folder while the
 * gateway is stopped; then the gateway started on that folder offers the subsidies at the card's tap, and the same
 * commands refuse to touch its store while it runs. Amounts written down in fen; accounts from config/embedded.json.
 */
import test from 'ava';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EMBEDDED_CONFIG, startTestSystem } from '../support/kiosk-system.ts';
import { lastJson, quancun } from '../support/cli.ts';
import { tempDir } from '../support/temp-dir.ts';
import { ZHANG } from '../support/torn-load.ts';

const HEADER = 'account,amount,reason,period,expires';

test('import checks every line and imports all or nothing, issue adds one, report balances; a running gateway\'s store is refused', async (t) => {
  const dataDir = await tempDir(t, 'quancun-subsidy-');
  const run = (...args: string[]) => quancun('subsidy', ...args, '--config', EMBEDDED_CONFIG, '--data-dir', dataDir);
  const bad = join(dataDir, 'bad.csv');
  await writeFile(bad, `${HEADER}\n2023010001,150.00,伙食补助,2026-11,2099-12-31\n2023019999,1.00,伙食补助,2026-11,2099-12-31\n2023010002,1.001,伙食补助,2026-11,2099-12-31\n`);
  const refused = await run('import', bad);
  t.is(refused.code, 1);
  t.regex(refused.stderr, /SUBSIDY_BATCH_INVALID: nothing was imported/);
  t.regex(refused.stderr, /SUBSIDY_ACCOUNT_UNKNOWN: line 3: no campus account 2023019999/);
  t.regex(refused.stderr, /SUBSIDY_AMOUNT_INVALID: line 4: /);

  const good = join(dataDir, 'november.csv');
  await writeFile(good, `${HEADER}\n2023010001,150.00,伙食补助,2026-11,2099-12-31\n2023010003,20.50,伙食补助,2026-11,2099-12-31\n`);
  const imported = await run('import', good, '--json');
  t.is(imported.code, 0, imported.stderr);
  t.like(lastJson(imported.stdout), { lines: 2, amount: 17_050 });
  const twice = await run('import', good);
  t.is(twice.code, 1);
  t.regex(twice.stderr, /SUBSIDY_BATCH_DUPLICATE/);
  const missing = await run('issue', '--account', '2023010002', '--amount', '8.00', '--reason', '交通补助', '--period', '2026-11');
  t.is(missing.code, 1);
  t.regex(missing.stderr, /SUBSIDY_LINE_INVALID: --expires is required/);
  const issued = await run('issue', '--account', '2023010002', '--amount', '8.00', '--reason', '交通补助', '--period', '2026-11', '--expires', '2099-12-31', '--json');
  t.is(issued.code, 0, issued.stderr);
  t.like(lastJson(issued.stdout), { lines: 1, amount: 800 });

  const report = await run('report', '--json');
  t.is(report.code, 0, report.stderr);
  t.deepEqual(lastJson<{ total: unknown }>(report.stdout).total, {
    issued: { count: 3, amount: 17_850 }, collected: { count: 0, amount: 0 }, outstanding: { count: 3, amount: 17_850 },
    held: { count: 0, amount: 0 }, expired: { count: 0, amount: 0 }, balanced: true,
  });

  // The gateway on that folder: 张三's card is offered his subsidy at the tap.
  const system = await startTestSystem(t, { dataDir });
  const { kiosk, reader } = system.kiosks.get('K001')!;
  reader!.insert(system.cards.get(ZHANG.asn)!);
  const session = await kiosk.openSession();
  t.like(session.account.pendingLoads, [{ source: 'subsidy', amount: 15_000, label: '伙食补助 2026-11', expires: '2099-12-31' }]);
  t.false('onlineCounter' in session.account.pendingLoads[0]!, 'no MAC2 was ever issued for it');
  await session.channel.close();
  const locked = await run('report');
  t.is(locked.code, 1);
  t.regex(locked.stderr, /JOURNAL_UNAVAILABLE: .*held by another process/);
});
