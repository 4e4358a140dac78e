/**
 * The console's one-card page over HTTP: a gateway linked to the one-card centre simulator through its web middle
 * tier. The centre already holds the transaction id the kiosk's first load takes, with another amount (an id a test
 * run of the office's left behind): the load completes, the centre refuses both of its postings (posting-conflict),
 * and the console lists them. A viewer may only look; an operator sets them aside, with a note — one through the API,
 * one on the page in Chromium; answered twice, the second is told there is nothing left to answer.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import type { Config } from '../../common/config.ts';
import type { QuancunError } from '../../common/errors.ts';
import { cardholderAccounts } from '../../gateway/onecard/built-in-one-card.ts';
import { HttpOneCard } from '../../gateway/onecard/http-one-card.ts';
import { OneCardCentre } from '../../sim/onecard/onecard-centre.ts';
import { openChromium } from '../support/chromium.ts';
import { CONSOLE_USERS, signInPage, startConsoleSystem } from '../support/console.ts';
import { EMBEDDED_CONFIG, loadAt } from '../support/kiosk-system.ts';

// From config/embedded.json: 张三, card PIN 123456, campus account 2023010001.
const ZHANG = { asn: '31030000002023010001', pin: '123456', campusAccount: '2023010001' };
const FIRST_TXN = 'K001-00000001';
const failure = (p: Promise<unknown>) => p.then(() => ({ code: 'ok', status: 200 }), (err: QuancunError) => ({ code: err.code, status: err.details.status }));

test('postings the one-card system refused are listed in the console; an operator sets them aside with a note, a viewer cannot', async (t) => {
  const { cardholders } = JSON.parse(readFileSync(EMBEDDED_CONFIG, 'utf8')) as Config;
  const centre = new OneCardCentre({ accounts: cardholderAccounts({ cardholders }) });
  await centre.start();
  t.teardown(() => centre.stop());
  await new HttpOneCard({ url: centre.url, timeoutMs: 2000 }).post({ txnId: FIRST_TXN, campusAccount: ZHANG.campusAccount, amount: 1, status: 'provisional', at: '2026-12-01T00:00:00.000Z' });

  const s = await startConsoleSystem(t, {
    edit: (c) => void (c.oneCard = { kind: 'http', url: centre.url, timeoutMs: 2000, relay: { minMs: 20, maxMs: 200, attentionAfter: 3, pollMs: 20 } }),
  });
  const relay = s.gateway.oneCardRelay!;
  const bothRefused = new Promise<void>((resolve) => relay.on('refused', () => relay.state.refused === 2 && resolve()));
  t.like(await loadAt(s, 'K001', ZHANG, 5000), { state: 'completed', txnId: FIRST_TXN });
  await bothRefused;

  const viewer = await s.signIn('viewer');
  const operator = await s.signIn('operator');
  const page = await viewer.get('onecard') as { kind: string; delivery: { refused: number }; refused: Array<Record<string, unknown>>; setAside: unknown[] };
  t.is(page.kind, 'http');
  t.like(page.delivery, { refused: 2, waiting: 0 });
  t.like(page.refused, [
    { posting: { txnId: FIRST_TXN, campusAccount: ZHANG.campusAccount, amount: 5000, status: 'provisional' }, code: 'ONECARD_REFUSED', reason: 'posting-conflict' },
    { posting: { txnId: FIRST_TXN, amount: 5000, status: 'final' }, code: 'ONECARD_REFUSED', reason: 'posting-conflict' },
  ]);
  t.deepEqual(page.setAside, []);

  const path = (status: string, action: string) => `onecard/refused/${FIRST_TXN}/${status}/${action}`;
  t.like(await failure(viewer.post(path('provisional', 'set-aside'), { note: 'x' })), { code: 'CONSOLE_FORBIDDEN', status: 403 });
  t.like(await failure(operator.post(path('provisional', 'set-aside'), { note: '  ' })), { code: 'CONSOLE_BAD_REQUEST', status: 400 });
  t.like(await failure(operator.post(path('settled', 'resend'))), { code: 'ONECARD_REFUSAL_UNKNOWN', status: 404 });
  const note = 'the office\'s test record holds this id; entered by hand, ticket 1207';
  await operator.post(path('provisional', 'set-aside'), { note });

  // The other in Chromium, as an operator does it: the page lists it; a note, then "set aside".
  const { page: browser, errors } = await openChromium(t);
  await signInPage(browser, s.consoleUrl, 'operator');
  await browser.goto(`${s.consoleUrl}/#/onecard`);
  const row = browser.locator(`[data-test="onecard-refused"] [data-row="${FIRST_TXN}/final"]`);
  await row.waitFor();
  t.regex((await row.textContent())!, /posting-conflict/);
  await row.locator('[data-test="onecard-note"]').fill(note);
  await row.locator('[data-test="onecard-set-aside"]').click();
  await row.waitFor({ state: 'detached' });
  await browser.locator(`[data-test="onecard-set-aside-list"] [data-row="${FIRST_TXN}/final"]`).waitFor();
  // The page's first request, before signing in, is answered 401: the sign-in form follows from it.
  t.deepEqual(errors.filter((e) => !e.includes('status of 401')), []);

  const after = await viewer.get('onecard') as typeof page;
  t.deepEqual(after.refused, []);
  t.like(after.delivery, { refused: 0 });
  t.like(after.setAside, [
    { posting: { txnId: FIRST_TXN, status: 'provisional' }, setAside: { by: CONSOLE_USERS.operator.name, note } },
    { posting: { txnId: FIRST_TXN, status: 'final' }, setAside: { by: CONSOLE_USERS.operator.name, note } },
  ]);
  t.like(await failure(operator.post(path('final', 'resend'))), { code: 'ONECARD_REFUSAL_UNKNOWN', status: 404 });
  // Nothing was sent again: the centre holds its own record as it was, and the gateway's ledger the load, final.
  t.like(centre.posting(FIRST_TXN), { amount: 1, applied: ['provisional'] });
  t.like(await s.gateway.ledger.posting(FIRST_TXN), { amount: 5000, status: 'final' });
});
