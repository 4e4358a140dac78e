/**
 * The console's transactions and banks sections over HTTP on a running embedded system, as a page calls them: a
 * real load found by its card's last digits and its story with the decoded ISO 8583 fields (card number masked, PIN
 * block never sent); the bank's session, answer times and settlement runs; sign on again and line check now for an
 * operator, refused to a viewer on the server, both in the audit log.
 */
import test from 'ava';
import { once } from 'node:events';
import type { QuancunError } from '../../common/errors.ts';
import { startConsoleSystem } from '../support/console.ts';
import { loadAt } from '../support/kiosk-system.ts';
import { ZHANG } from '../support/torn-load.ts';

const failure = (p: Promise<unknown>) => p.then(() => ({ code: 'ok', status: 200 }), (err: QuancunError) => ({ code: err.code, status: err.details.status }));

test('transactions: search, story with decoded and masked ISO 8583 fields, bad queries', async (t) => {
  t.timeout(60_000);
  const s = await startConsoleSystem(t);
  const reported = once(s.gateway.reports, 'recorded');
  const outcome = await loadAt(s, 'K001', ZHANG, 5000);
  await reported;
  const txnId = (outcome as { txnId: string }).txnId;
  const viewer = await s.signIn('viewer');

  const page = await viewer.get<{ total: number; items: Array<{ txnId: string; card: string; bankAccount: string }> }>('transactions?card=0018&kiosk=K001');
  t.deepEqual(page.items.map((i) => [i.txnId, i.card, i.bankAccount]), [[txnId, '310300**********0001', '621700*********0018']]);

  const raw = await viewer.text(`transactions/${txnId}`);
  t.false(raw.includes(ZHANG.pan));
  const story = JSON.parse(raw) as { bank: Array<{ mti: string; fields: Array<{ no: number; name: string; value: string }> }>; posting: { status: string } };
  t.is(story.posting.status, 'final');
  t.deepEqual(story.bank.map((m) => m.mti), ['0200', '0210']);
  t.deepEqual(story.bank[0]!.fields.filter((f) => [2, 4, 52, 63].includes(f.no)), [
    { no: 2, name: 'primary account number', value: '621700*********0018', hidden: 'masked' },
    { no: 4, name: 'amount, transaction', value: '000000005000' },
    { no: 52, name: 'PIN data', value: '(PIN block, not kept)', hidden: 'not kept' },
    { no: 63, name: 'reserved private (operator, campus reference)', value: txnId },
  ]);

  t.deepEqual(await failure(viewer.get('transactions/K001-99999999')), { code: 'TXN_UNKNOWN', status: 404 });
  t.deepEqual(await failure(viewer.get('transactions?date=yesterday')), { code: 'QUERY_INVALID', status: 400 });
});

test('banks: session and answer times; sign on again and line check now for operators only, audited', async (t) => {
  t.timeout(60_000);
  const s = await startConsoleSystem(t);
  const viewer = await s.signIn('viewer');
  const operator = await s.signIn('operator');
  const admin = await s.signIn('admin');

  const { banks } = await viewer.get<{ banks: Array<{ bankId: string; state: string; signedOnSince: string }> }>('banks');
  t.like(banks, [{ bankId: 'unionpay', state: 'signed-on' }]);
  const detail = await viewer.get<{ session: { state: string }; answerTimes: { count: number; hours: unknown[] }; settlements: unknown[]; messages: Array<{ mti: string }> }>('banks/unionpay');
  t.is(detail.session.state, 'signed-on');
  t.true(detail.answerTimes.count >= 1); // the sign-on's answer at start
  t.is(detail.answerTimes.hours.length, 24); // Asia/Shanghai has no DST
  t.deepEqual(detail.settlements, []);
  t.true(detail.messages.some((m) => m.mti === '0810'));

  t.deepEqual(await failure(viewer.post('banks/unionpay/line-check')), { code: 'CONSOLE_FORBIDDEN', status: 403 });
  t.deepEqual(await failure(viewer.post('banks/unionpay/sign-on')), { code: 'CONSOLE_FORBIDDEN', status: 403 });
  t.like(await operator.post('banks/unionpay/line-check'), { lineCheck: { ok: true } });
  const before = s.bank.log.filter((e) => e.op === 'signOn').length;
  t.like(await operator.post('banks/unionpay/sign-on'), { session: { bankId: 'unionpay', state: 'signed-on' } });
  t.is(s.bank.log.filter((e) => e.op === 'signOn').length, before + 1);
  t.like(await viewer.get('banks/unionpay'), { session: { lastLineCheck: { ok: true } } });
  t.deepEqual(await failure(operator.post('banks/nope/line-check')), { code: 'BANK_UNKNOWN', status: 404 });

  const { entries } = await admin.get<{ entries: Array<{ user: string; action: string; result: string; code?: string }> }>('audit');
  const seen = entries.map((e) => `${e.user} ${e.action} ${e.result}${e.code ? ` ${e.code}` : ''}`);
  for (const line of ['vera bank.line-check refused CONSOLE_FORBIDDEN', 'vera bank.sign-on refused CONSOLE_FORBIDDEN', 'olga bank.line-check ok', 'olga bank.sign-on ok']) {
    t.true(seen.includes(line), line);
  }
});
