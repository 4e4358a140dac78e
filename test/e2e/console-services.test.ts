/**
 * The console's money flows beyond loads, on the running embedded default: credits the campus owes in Money owed (a
 * fee refund whose credit tore, so in doubt, and a subsidy), the fees (缴费) section with a fee's story and the
 * billers' health, and batch transfers (后台批量转账): standing orders, an operator's run started from the page and its
 * result, a second run refused while one is under way, a viewer refused by the server, every try audited. Figures
 * from config/embedded.json: 张三 (2023010001) holds 10.00 on his card and has a standing agreement with his bank;
 * 李四 (2023010002) has none, so the bank simulator declines his standing transfer with 57. With
 * QUANCUN_CONSOLE_SHOTS=<dir> the pages' screenshots are kept there (docs/console/ holds the committed ones).
 */
import test from 'ava';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { QuancunError } from '../../common/errors.ts';
import type { AuditEntry } from '../../gateway/console/audit-log.ts';
import type { ConsoleClient } from '../../gateway/console/console-client.ts';
import type { FeeStory, FeeSummary } from '../../gateway/fees/fee-stories.ts';
import type { MoneyOwedView } from '../../gateway/loads/money-owed.ts';
import type { Page as ResultPage } from '../../gateway/loads/transaction-search.ts';
import type { TransferOverview, TransferView } from '../../gateway/transfers/transfer-overview.ts';
import { openChromium } from '../support/chromium.ts';
import { CONSOLE_USERS, signInPage, startConsoleSystem, type ConsoleSystem } from '../support/console.ts';
import { tempDir } from '../support/temp-dir.ts';
import { CREDIT_FOR_LOAD, ZHANG } from '../support/torn-load.ts';

const FEE = 'K001-00000001';
const REFUND = 'K001-00000001-refund';
const ZHANG_CARD = '310300**********0001';
const LI_CARD = '310300**********0002';

const failure = (p: Promise<unknown>) => p.then(() => ({ code: 'ok', status: 200 }), (err: QuancunError) => ({ code: err.code, status: err.details.status }));

async function audit(client: ConsoleClient, action: string): Promise<Array<[string, string, string]>> {
  const { entries } = await client.get<{ entries: AuditEntry[] }>(`audit?action=${action}`);
  return entries.map((e): [string, string, string] => [e.user, e.result, e.code ?? '']).reverse();
}

/**
 * A 3.00 dorm-power fee of 张三's the biller refuses: the refund's credit reaches the card and its answer is lost, so
 * it waits, MAC2 issued, for the card's counter. Then a 20.50 subsidy issued to 李四 from the console.
 */
async function owedFeeRefundAndSubsidy(s: ConsoleSystem, operator: ConsoleClient): Promise<void> {
  const { kiosk, reader } = s.kiosks.get('K001')!;
  reader!.insert(s.cards.get(ZHANG.asn)!);
  const session = await kiosk.openSession();
  s.billers.refuseNext('meter-locked');
  reader!.tear({ ins: CREDIT_FOR_LOAD, when: 'after' });
  const outcome = await kiosk.fee(session, { billerId: 'dorm-power', account: '3402', amount: 300 });
  if (outcome.state !== 'refund-owed' || outcome.refund?.state !== 'not-collected') throw new Error(`unexpected fee outcome ${JSON.stringify(outcome)}`);
  await operator.post('subsidies/issue', { account: '2023010002', amount: '20.50', reason: '伙食补助', period: '2026-11', expires: '2099-12-31' });
}

/** Monthly orders due on any day from the 1st: 张三's 80.00 (approved), 李四's 10.00 (declined). */
async function standingOrders(s: ConsoleSystem): Promise<void> {
  await s.gateway.transfers.orders.add({ campusAccount: '2023010001', amount: 8000, rule: { kind: 'monthly', day: 1 } });
  await s.gateway.transfers.orders.add({ campusAccount: '2023010002', amount: 1000, rule: { kind: 'monthly', day: 1 } });
}

/** Resolves when a transfer run is journaled `done`. */
const runDone = (s: ConsoleSystem) => new Promise<string>((resolve) => s.gateway.transfers.runs.on('changed', (r) => r.state === 'done' && resolve(r.id)));

test('owed credits, fees and a batch transfer run over the API: masked, in doubt said so, one run at a time, a viewer refused, all audited', async (t) => {
  const s = await startConsoleSystem(t);
  const operator = await s.signIn('operator');
  const viewer = await s.signIn('viewer');
  await owedFeeRefundAndSubsidy(s, operator);

  const owed = await viewer.get<MoneyOwedView>('owed');
  t.false(JSON.stringify(owed).includes(ZHANG.asn), 'no full card number');
  t.like(owed.credits, [
    { id: REFUND, source: 'fee-refund', feeId: FEE, state: 'mac2-issued', inDoubt: true, amount: 300, card: ZHANG_CARD, kioskId: 'K001', collector: 'K001' },
    { source: 'subsidy', state: 'owed', inDoubt: false, amount: 2050, card: LI_CARD, label: '伙食补助 2026-11', expires: '2099-12-31' },
  ]);
  t.is(owed.credits.length, 2);
  t.deepEqual(owed.totals.credits, { count: 2, amount: 2350, bySource: { 'fee-refund': { count: 1, amount: 300 }, subsidy: { count: 1, amount: 2050 } } });

  // The fee found by the card's last digits and by its biller; its story.
  const found = await viewer.get<ResultPage<FeeSummary>>('fees?card=0001');
  t.is(found.total, 1);
  t.like(found.items[0], { txnId: FEE, kioskId: 'K001', billerId: 'dorm-power', account: '3402', amount: 300, card: ZHANG_CARD, state: 'refund-owed', final: true, code: 'BILLER_REFUSED', refundId: REFUND, payTries: 1 });
  t.is((await viewer.get<ResultPage<FeeSummary>>('fees?biller=campus-net')).total, 0);
  t.is((await viewer.get<ResultPage<FeeSummary>>('fees?state=paid')).total, 0);
  t.like(await failure(viewer.get('fees?card=12')), { code: 'QUERY_INVALID', status: 400 });
  const story = await viewer.get<FeeStory>(`fees/${FEE}`);
  t.false(JSON.stringify(story).includes(ZHANG.asn), 'no full card number in the story');
  t.deepEqual(story.gateway.history.map((h) => h.state), ['mac1-issued', 'debited', 'paying', 'refund-owed']);
  t.like(story.biller, { id: 'dorm-power', account: '3402', tries: 1, code: 'BILLER_REFUSED' });
  t.like(story.transfer, { campusAccount: '2023010001', amount: 300, from: 'purse', to: 'biller:dorm-power', status: 'undone', undoneBy: REFUND });
  t.like(story.refund, { id: REFUND, state: 'mac2-issued', inDoubt: true, amount: 300, posting: { amount: 300, status: 'pending', source: 'fee-refund' } });
  t.like(await failure(viewer.get('fees/K001-99999999')), { code: 'TXN_UNKNOWN', status: 404 });
  // The biller answered both calls (the account looked up at fee.begin, the payment refused): an answer, not a failure.
  const { billers } = await viewer.get<{ billers: Array<{ id: string; health: { calls: number; failures: number; failuresInARow: number; lastCall: unknown } }> }>('fees');
  t.like(billers.find((b) => b.id === 'dorm-power')!.health, { calls: 2, failures: 0, failuresInARow: 0, lastCall: { op: 'pay', answered: true, code: 'BILLER_REFUSED' } });
  t.like(billers.find((b) => b.id === 'campus-net')!.health, { calls: 0, lastCall: null });

  // Batch transfers: a viewer cannot start a run; an operator's second start while the first sends is refused.
  await standingOrders(s);
  const overview = await viewer.get<TransferOverview>('transfers');
  t.deepEqual(overview.orders.map(({ campusAccount, card, bankId, bankAccount, amount, rule }) => ({ campusAccount, card, bankId, bankAccount, amount, rule })), [
    { campusAccount: '2023010001', card: ZHANG_CARD, bankId: 'unionpay', bankAccount: '621700*********0018', amount: 8000, rule: { kind: 'monthly', day: 1 } },
    { campusAccount: '2023010002', card: LI_CARD, bankId: 'unionpay', bankAccount: '621700*********0026', amount: 1000, rule: { kind: 'monthly', day: 1 } },
  ]);
  t.deepEqual(overview.runs, []);
  t.false(overview.running);
  t.like(await failure(viewer.post('transfers/runs')), { code: 'CONSOLE_FORBIDDEN', status: 403 });
  t.deepEqual(await s.gateway.transfers.runs.all(), [], 'nothing started for a viewer');

  s.bank.setBehaviour({ latencyMs: 1500 }, { ops: ['standingTransfer'], count: 1 });
  const sending = new Promise<void>((resolve) => s.gateway.transfers.transfers.on('changed', (r) => r.state === 'bank-pending' && resolve()));
  const done = runDone(s);
  t.deepEqual(await operator.post('transfers/runs'), { started: true });
  await sending;
  t.true((await viewer.get<TransferOverview>('transfers')).running);
  t.like(await failure(operator.post('transfers/runs')), { code: 'TRANSFER_RUN_CONFLICT', status: 409 });
  const runId = await done;

  const { runs } = await viewer.get<TransferOverview>('transfers');
  t.is(runs.length, 1, 'one run: the refused start made none');
  t.like(runs[0], { id: runId, by: CONSOLE_USERS.operator.name, state: 'done', sent: 2,
    summary: { planned: 2, approved: { count: 1, amount: 8000 }, declined: 1, notSent: 0, reversing: 0, reversed: 0 } });
  const detail = await viewer.get<{ transfers: TransferView[] }>(`transfers/runs/${runId}`);
  t.deepEqual(detail.transfers.map(({ campusAccount, card, amount, state, code, responseCode }) => ({ campusAccount, card, amount, state, code, responseCode })), [
    { campusAccount: '2023010001', card: ZHANG_CARD, amount: 8000, state: 'credit-owed', code: undefined, responseCode: undefined },
    { campusAccount: '2023010002', card: LI_CARD, amount: 1000, state: 'declined', code: 'BANK_DECLINED', responseCode: '57' },
  ]);
  t.is(s.bank.balanceOf(ZHANG.pan), 500_000 - 8000, 'the bank debited the approved transfer once');
  // The approval is a credit 张三's card is owed, beside the others.
  const after = await viewer.get<MoneyOwedView>('owed');
  t.like(after.credits.find((c) => c.source === 'transfer'), { id: detail.transfers[0]!.id, amount: 8000, card: ZHANG_CARD, state: 'owed', inDoubt: false });
  t.deepEqual(after.totals.credits.bySource.transfer, { count: 1, amount: 8000 });

  t.deepEqual(await audit(operator, 'transfer.run'), [
    [CONSOLE_USERS.viewer.name, 'refused', 'CONSOLE_FORBIDDEN'],
    [CONSOLE_USERS.operator.name, 'ok', ''],
    [CONSOLE_USERS.operator.name, 'failed', 'TRANSFER_RUN_CONFLICT'],
  ]);
});

test('an operator in Chromium: a fee refund in doubt and a subsidy in Money owed, a fee\'s story, a transfer run started and its result', async (t) => {
  t.timeout(180_000);
  const shots = process.env.QUANCUN_CONSOLE_SHOTS ?? (await tempDir(t, 'quancun-console-services-shots-'));
  mkdirSync(shots, { recursive: true });
  const s = await startConsoleSystem(t);
  const operator = await s.signIn('operator');
  await owedFeeRefundAndSubsidy(s, operator);
  await standingOrders(s);
  const { page, errors } = await openChromium(t);
  const shot = (p: Page, name: string) => p.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
  const test = (id: string) => page.locator(`[data-test="${id}"]`);
  await signInPage(page, s.consoleUrl, 'operator');

  // Money owed: the refund, in doubt, and the subsidy; the page opens in Chinese.
  await page.goto(`${s.consoleUrl}/#/owed`);
  const refund = page.locator(`[data-test="owed-credits"] [data-row="${REFUND}"]`);
  await refund.waitFor();
  const refundRow = (await refund.textContent())!;
  t.regex(refundRow, /缴费退款/);
  t.true(refundRow.includes(ZHANG_CARD));
  t.regex(refundRow, /¥3\.00/);
  t.regex(await refund.locator('[data-test="credit-state"]').textContent() ?? '', /mac2-issued · 待卡片计数器确认/);
  const subsidy = page.locator('[data-test="owed-credits"] tr', { hasText: LI_CARD });
  t.regex((await subsidy.textContent())!, /补助.*¥20\.50.*owed/);
  t.is(await test('owed-credit-total').textContent(), '2 · ¥23.50');
  t.false((await page.locator('main').textContent())!.includes(ZHANG.asn));
  await shot(page, 'owed-credits');

  // The refund's fee, from its link: the fee's story.
  await refund.locator(`a[href="#/fees/${FEE}"]`).click();
  await test('fee-history').waitFor();
  const story = (await page.locator('main').textContent())!;
  t.regex(story, /BILLER_REFUSED/);
  t.regex(story, /purse → biller:dorm-power/);
  t.true(story.includes(ZHANG_CARD));
  t.false(story.includes(ZHANG.asn));
  t.deepEqual(await test('fee-history').locator('tbody tr td:first-child').allTextContents(), ['mac1-issued', 'debited', 'paying', 'refund-owed']);
  t.is(await test('fee-refund-state').textContent(), 'mac2-issued 待卡片计数器确认');
  t.deepEqual((await test('fee-refund-posting').locator('tbody td').allTextContents()).slice(0, 3), ['pending', '¥3.00', '2023010001']);
  t.false(story.includes('[object'), 'every part rendered');
  await shot(page, 'fee-story');

  // The fees page: the fee found by card and biller, the billers' health.
  await page.goto(`${s.consoleUrl}/#/fees`);
  await test('fee-card').fill('0001');
  await test('fee-biller').selectOption('dorm-power');
  await test('fee-search-submit').click();
  await page.locator(`[data-test="fee-table"] [data-row="${FEE}"]`).filter({ hasText: 'refund-owed BILLER_REFUSED' }).waitFor();
  t.is(await page.locator('[data-test="biller-health"] [data-row="dorm-power"] [data-test="biller-result"]').textContent(), 'BILLER_REFUSED');
  await shot(page, 'fees');

  // A transfer run started from the page, and its result.
  await page.goto(`${s.consoleUrl}/#/transfers`);
  await page.locator('[data-test="transfer-orders"] [data-row="2023010001"]').waitFor();
  await test('transfer-run').click();
  const run = page.locator('[data-test="transfer-runs"] tbody tr').filter({ has: page.locator('[data-test="run-state"]', { hasText: '已完成' }) });
  await run.waitFor();
  t.is(await run.locator('[data-test="run-sent"]').textContent(), '2');
  t.is(await run.locator('[data-test="run-approved"]').textContent(), '1 · ¥80.00');
  t.is(await run.locator('[data-test="run-declined"]').textContent(), '1');
  t.is(await run.locator('[data-test="run-uncertain"]').textContent(), '0');
  await shot(page, 'transfers');
  await run.locator('[data-test="run-link"]').click();
  await page.locator('[data-test="transfer-list"] [data-test="transfer-state"]', { hasText: 'declined BANK_DECLINED 57' }).waitFor();
  t.is(await page.locator('[data-test="transfer-list"] [data-test="transfer-state"]').first().textContent(), 'credit-owed');
  await shot(page, 'transfer-run');

  // A viewer's start is refused by the server, whatever the page shows; the operator's is in the audit log.
  const viewer = await s.signIn('viewer');
  t.like(await failure(viewer.post('transfers/runs')), { code: 'CONSOLE_FORBIDDEN', status: 403 });
  t.is((await s.gateway.transfers.runs.all()).length, 1);
  t.deepEqual(await audit(operator, 'transfer.run'), [[CONSOLE_USERS.operator.name, 'ok', ''], [CONSOLE_USERS.viewer.name, 'refused', 'CONSOLE_FORBIDDEN']]);
  t.deepEqual(errors.filter((e) => !e.includes('status of 401')), []);
});
