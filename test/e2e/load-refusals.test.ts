/**
 * Every way a load is turned down ends with a stable error code and moves no money: not on the card (read from the
 * virtual card itself), not at the bank (the simulator's account), not in the campus ledger. The kiosk runs on the
 * simulated reader and PIN pad with the embedded aedes broker; journals are LevelDB on disk.
 */
import test, { type ExecutionContext } from 'ava';
import type { ErrorCode } from '../../common/errors.ts';
import type { Config } from '../../common/config.ts';
import { runLoadScenario, scenarioAccounts, type LoadScenario } from '../../sim/scenarios/load-scenario.ts';
import { startTestSystem, type TestSystem } from '../support/kiosk-system.ts';

// From config/embedded.json: 张三 (card 10.00, bank 5000.00), 李四 (card 0.00, bank 30.00), 王五 (card 25.00, no bank).
const ZHANG = { asn: '31030000002023010001', pan: '6217000010000000018', bank: 500_000 };
const LI = { asn: '31030000002023010002', pan: '6217000010000000026', bank: 3000 };
const WANG = { asn: '31030000002023010003' };
const STRANGER = '31030000002099999999';

interface Refusal {
  title: string;
  asn: string;
  amount: number;
  code: ErrorCode;
  /** The error's message, in the operator's words. */
  message: string;
  /** The final state: `refused` when no transaction was started. */
  state: string;
  pin?: string;
  edit?: (config: Config) => void;
  before?: (system: TestSystem) => void;
}

const refusals: Refusal[] = [
  { title: 'a zero amount', asn: ZHANG.asn, amount: 0, code: 'AMOUNT_INVALID', message: 'amount must be a positive number of fen: 0', state: 'refused' },
  { title: 'a negative amount', asn: ZHANG.asn, amount: -5000, code: 'AMOUNT_INVALID', message: 'amount must be a positive number of fen: -5000', state: 'refused' },
  { title: 'a fraction of a fen', asn: ZHANG.asn, amount: 12.5, code: 'AMOUNT_INVALID', message: 'amount must be a positive number of fen: 12.5', state: 'refused' },
  { title: 'an amount above the single-load limit', asn: ZHANG.asn, amount: 100_001, code: 'AMOUNT_OVER_LOAD_LIMIT', message: 'amount 100001 exceeds the single-load limit 100000', state: 'refused' },
  {
    title: 'an amount that would take the card above the purse limit', asn: ZHANG.asn, amount: 60_000, code: 'AMOUNT_OVER_PURSE_LIMIT', message: 'balance would exceed the purse limit 200000', state: 'refused',
    edit: (c) => void (c.simulation!.cards[0]!.balance = 150_000),
  },
  { title: 'an amount above the bank balance', asn: LI.asn, amount: 5000, code: 'BANK_INSUFFICIENT_FUNDS', message: 'Insufficient funds in the bank account', state: 'declined' },
  {
    title: 'a card the campus does not know', asn: STRANGER, amount: 5000, code: 'CARD_UNKNOWN', message: 'no campus account holds this card', state: 'refused',
    edit: (c) => void c.simulation!.cards.push({ asn: STRANGER, balance: 777, pin: '123456' }),
  },
  { title: 'a card not bound to a bank account', asn: WANG.asn, amount: 5000, code: 'CARD_NOT_BOUND', message: 'card is not bound to a bank account', state: 'refused' },
  { title: 'a wrong PIN', asn: ZHANG.asn, amount: 5000, pin: '000000', code: 'PIN_WRONG', message: 'Wrong PIN', state: 'declined' },
  {
    title: 'a bank decline', asn: ZHANG.asn, amount: 5000, code: 'BANK_DECLINED', message: 'transfer declined by the bank (05)', state: 'declined',
    before: (s) => s.bank.setBehaviour({ decline: '05' }),
  },
];

const bankAccountOf: Record<string, { pan: string; bank: number }> = { [ZHANG.asn]: ZHANG, [LI.asn]: LI };

async function assertNothingMoved(t: ExecutionContext, system: TestSystem, asn: string): Promise<void> {
  const issued = system.loaded.config.simulation!.cards.find((c) => c.asn === asn)!.balance;
  t.is(system.cards.get(asn)!.state().balance, issued, 'card balance changed');
  const account = bankAccountOf[asn];
  if (account) t.is(system.bank.balanceOf(account.pan), account.bank, 'bank balance changed');
  t.deepEqual(await system.gateway.ledger.postings(), [], 'the ledger has a posting');
}

for (const r of refusals) {
  test(`${r.title} is ${r.code} and moves no money`, async (t) => {
    const system = await startTestSystem(t, r.edit ? { edit: r.edit } : {});
    r.before?.(system);
    const scenario: LoadScenario = { kioskId: 'K001', asn: r.asn, amount: r.amount, ...scenarioAccounts(system.loaded.config), ...(r.pin ? { pin: r.pin } : {}) };
    const result = await runLoadScenario(system, scenario);
    t.like(result, { state: r.state, code: r.code, message: r.message, tacVerified: false });
    t.is(result.card.before, system.loaded.config.simulation!.cards.find((c) => c.asn === r.asn)!.balance, 'the balance the card really has');
    t.is(result.card.after, result.card.before);
    t.is(result.bank.after, result.bank.before);
    await assertNothingMoved(t, system, r.asn);
    if (result.txnId) {
      const { kiosk } = system.kiosks.get('K001')!;
      t.like(await kiosk.journal.loads.require(result.txnId), { state: r.state, code: r.code, outcome: 'not-debited' });
    }
  });
}

test('a card taken away after it was read and before the load starts is CARD_REMOVED and moves no money', async (t) => {
  const system = await startTestSystem(t);
  const { kiosk, reader, keypad } = system.kiosks.get('K001')!;
  reader!.insert(system.cards.get(ZHANG.asn)!);
  const session = await kiosk.openSession();
  reader!.remove();
  keypad.once('entry', () => {
    keypad.type('123456');
    keypad.enter();
  });
  const outcome = await kiosk.load(session, 5000);
  t.like(outcome, { state: 'abandoned', code: 'CARD_REMOVED', tacVerified: false, cardBefore: 1000, cardAfter: 1000 });
  t.like(await kiosk.journal.loads.require(outcome.txnId), { state: 'abandoned', outcome: 'not-debited' });
  await assertNothingMoved(t, system, ZHANG.asn);
});
