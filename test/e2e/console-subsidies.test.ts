/**
 * The console's subsidies section over HTTP (ConsoleClient, as the page sends it) on the running embedded gateway: an
 * operator imports a batch and issues one subsidy, and the card's next tap is offered them at once; a bad batch answers
 * each bad line and imports nothing; a viewer reads the report but the server refuses their import; each action is
 * audited. Then the page in Chromium: a batch uploaded from a file, the report drawn balanced. Accounts from
 * config/embedded.json; amounts written down in fen.
 */
import test from 'ava';
import type { QuancunError } from '../../common/errors.ts';
import type { SubsidyReport } from '../../gateway/subsidies/subsidy-report.ts';
import { openChromium } from '../support/chromium.ts';
import { CONSOLE_USERS, signInPage, startConsoleSystem } from '../support/console.ts';
import { ZHANG } from '../support/torn-load.ts';

const HEADER = 'account,amount,reason,period,expires';
const failure = (p: Promise<unknown>) => p.then(() => ({ code: 'ok', status: 200, message: '' }), (err: QuancunError) => ({ code: err.code, status: err.details.status, message: err.message }));

test('an operator imports and issues subsidies on the running gateway; a viewer only reads the report; every action is audited', async (t) => {
  const s = await startConsoleSystem(t);
  const operator = await s.signIn('operator');
  const viewer = await s.signIn('viewer');

  const bad = await failure(operator.post('subsidies/batches', { csv: `${HEADER}\n2023010001,150.00,伙食补助,2026-11,2099-12-31\n2023010001,1.00,伙食补助,2026-11,2099-12-31\n` }));
  t.like(bad, { code: 'SUBSIDY_BATCH_INVALID', status: 400 });
  t.regex(bad.message, /line 3: the same account, reason and period as line 2/);
  t.like(await failure(viewer.post('subsidies/batches', { csv: `${HEADER}\n2023010001,150.00,伙食补助,2026-11,2099-12-31\n` })), { code: 'CONSOLE_FORBIDDEN', status: 403 });
  t.like(await failure(operator.post('subsidies/batches', {})), { code: 'CONSOLE_BAD_REQUEST', status: 400 });

  const { batch } = await operator.post<{ batch: { batchId: string; lines: number; amount: number } }>('subsidies/batches', {
    csv: `${HEADER}\n2023010001,150.00,伙食补助,2026-11,2099-12-31\n2023010002,20.50,伙食补助,2026-11,2099-12-31\n`, file: 'november.csv',
  });
  t.like(batch, { lines: 2, amount: 17_050, file: 'november.csv', kind: 'batch' });
  const issued = await operator.post<{ batch: { lines: number; amount: number } }>('subsidies/issue', {
    account: '2023010001', amount: '8', reason: '交通补助', period: '2026-11', expires: '2099-12-31',
  });
  t.like(issued.batch, { lines: 1, amount: 800, kind: 'single' });
  t.like(await failure(operator.post('subsidies/issue', { account: '2023010001', amount: '8', reason: '交通补助', period: '2026-11', expires: '2020-01-01' })),
    { code: 'SUBSIDY_EXPIRY_PAST', status: 400 });

  // The running gateway offers them at the card's next tap: no restart.
  const { kiosk, reader } = s.kiosks.get('K001')!;
  reader!.insert(s.cards.get(ZHANG.asn)!);
  const session = await kiosk.openSession();
  t.deepEqual(session.account.pendingLoads.map((p) => [p.source, p.amount, p.label]), [['subsidy', 15_000, '伙食补助 2026-11'], ['subsidy', 800, '交通补助 2026-11']]);
  await session.channel.close();

  const { report } = await viewer.get<{ report: SubsidyReport }>('subsidies');
  t.deepEqual(report.total, {
    issued: { count: 3, amount: 17_850 }, collected: { count: 0, amount: 0 }, outstanding: { count: 3, amount: 17_850 },
    held: { count: 0, amount: 0 }, expired: { count: 0, amount: 0 }, balanced: true,
  });

  const { entries } = await viewer.get<{ entries: Array<{ user: string; action: string; result: string; code?: string }> }>('audit');
  const [olga, vera] = [CONSOLE_USERS.operator.name, CONSOLE_USERS.viewer.name];
  t.deepEqual(entries.filter((e) => e.action.startsWith('subsidy.')).map((e) => [e.user, e.action, e.result, e.code ?? '']).reverse(), [
    [olga, 'subsidy.import', 'failed', 'SUBSIDY_BATCH_INVALID'],
    [vera, 'subsidy.import', 'refused', 'CONSOLE_FORBIDDEN'],
    [olga, 'subsidy.import', 'failed', 'CONSOLE_BAD_REQUEST'],
    [olga, 'subsidy.import', 'ok', ''],
    [olga, 'subsidy.issue', 'ok', ''],
    [olga, 'subsidy.issue', 'failed', 'SUBSIDY_EXPIRY_PAST'],
  ]);
});

test('the 补助 page in Chromium: an operator uploads a batch file and the report shows it, balanced', async (t) => {
  t.timeout(120_000);
  const s = await startConsoleSystem(t);
  const { page, errors } = await openChromium(t);
  const test = (id: string) => page.locator(`[data-test="${id}"]`);
  await signInPage(page, s.consoleUrl, 'operator');
  await page.goto(`${s.consoleUrl}/#/subsidies`);
  await test('subsidy-file').setInputFiles({
    name: 'december.csv', mimeType: 'text/csv',
    buffer: Buffer.from(`${HEADER}\n2023010001,150.00,伙食补助,2026-12,2099-12-31\n2023010003,7,交通补助,2026-12,2099-12-31\n`),
  });
  await test('subsidy-import').click();
  const total = page.locator('[data-test="subsidy-report"] tr', { hasText: 'december.csv' });
  await total.waitFor();
  t.regex((await total.textContent())!, /2 · ¥157\.00/);
  t.is(await total.locator('[data-test="subsidy-balanced"]').textContent(), '是', 'balanced (the console opens in Chinese)');
  t.deepEqual(errors.filter((e) => !e.includes('status of 401')), []);
});
