/**
 * Standing orders of the batch transfer mode (后台批量转账): what a cardholder asked the campus to pull from the bound
 * bank account without a PIN, under the agreement signed with the bank (代扣协议). One order per campus account, kept
 * in the gateway's store; either a fixed amount on a day of the month, or a top-up when the card's balance as the
 * gateway last saw it is below a threshold. Each order is checked when added, and again when a run sends it (the
 * binding may have changed since), with a typed error and nothing moved.
 */
import { calendarDate } from '../../common/campus-time.ts';
import { QuancunError } from '../../common/errors.ts';
import type { DurableStore } from '../../common/store/durable-store.ts';
import type { CampusLedger } from '../ledger/campus-ledger.ts';
import type { CampusAccount } from '../onecard/one-card-system.ts';

export type OrderRule =
  /** On day `day` (1..31) of each campus month; a day the month lacks is its last day (31 in April is 30 April). */
  | { kind: 'monthly'; day: number }
  /** At a run when the card's balance, with what transfers already owe it, is below `threshold` fen. */
  | { kind: 'below'; threshold: number };

export interface StandingOrder {
  campusAccount: string;
  /** Fen. */
  amount: number;
  rule: OrderRule;
  createdAt: string;
}

export interface OrderLimits {
  /** Largest single load, fen: a transfer is a load and obeys its limit. */
  maxLoad: number;
  /** Largest purse balance, fen: a top-up rule whose threshold plus amount passes it could never be written. */
  purseLimit: number;
}

const orderKey = (campusAccount: string) => `gw/transfer-order/${campusAccount}`;
const ORDER_PREFIX = 'gw/transfer-order/';

export function formatRule(rule: OrderRule): string {
  return rule.kind === 'monthly' ? `monthly:${rule.day}` : `below:${rule.threshold}`;
}

/** Checks an order's own values (not the account): typed errors, the first wrong value named. */
export function checkOrder(order: Pick<StandingOrder, 'amount' | 'rule'>, limits: OrderLimits): void {
  const { amount, rule } = order;
  if (!Number.isInteger(amount) || amount <= 0) throw new QuancunError('AMOUNT_INVALID', `amount ${amount} is not a positive number of fen`, { amount });
  if (amount > limits.maxLoad) throw new QuancunError('AMOUNT_OVER_LOAD_LIMIT', `amount ${amount} > the single-load limit ${limits.maxLoad}`, { amount });
  if (rule.kind === 'monthly' && (!Number.isInteger(rule.day) || rule.day < 1 || rule.day > 31)) {
    throw new QuancunError('TRANSFER_ORDER_INVALID', `day ${rule.day} is not a day of the month (1..31)`, { day: rule.day });
  }
  if (rule.kind === 'below') {
    if (!Number.isInteger(rule.threshold) || rule.threshold <= 0) {
      throw new QuancunError('TRANSFER_ORDER_INVALID', `threshold ${rule.threshold} is not a positive number of fen`, { threshold: rule.threshold });
    }
    if (rule.threshold + amount > limits.purseLimit) {
      throw new QuancunError('AMOUNT_OVER_PURSE_LIMIT', `threshold ${rule.threshold} + amount ${amount} > the purse limit ${limits.purseLimit}`, { amount });
    }
  }
}

/** The campus account, or CARD_UNKNOWN. */
export async function requireAccount(ledger: CampusLedger, campusAccount: string): Promise<CampusAccount> {
  const account = await ledger.account(campusAccount);
  if (!account) throw new QuancunError('CARD_UNKNOWN', `no campus account ${campusAccount}`, { campusAccount });
  return account;
}

/** The account's bank, when it has a binding to a configured bank: a transfer needs both. */
export function boundBank(account: CampusAccount, banks: ReadonlySet<string>): { bankId: string; bankPan: string } {
  if (!account.bankId || !account.bankPan || !banks.has(account.bankId)) {
    throw new QuancunError('CARD_NOT_BOUND', `campus account ${account.campusAccount} is not bound to a configured bank`, { campusAccount: account.campusAccount });
  }
  return { bankId: account.bankId, bankPan: account.bankPan };
}

/** The last day of a campus month (yyyy-mm). */
function lastDay(year: number, month: number): number {
  return Number(calendarDate(year, month + 1, 0).slice(8));
}

/**
 * The period a monthly order is due for on campus date `date` (yyyy-mm-dd), or null: its month once the due day has
 * come, so a run missed on the due day (a gateway down that night) still sends it later that month, once.
 */
export function monthlyPeriod(day: number, date: string): string | null {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return d >= Math.min(day, lastDay(y, m)) ? date.slice(0, 7) : null;
}

export class StandingOrders {
  constructor(
    private readonly store: DurableStore,
    private readonly ledger: CampusLedger,
    private readonly limits: OrderLimits,
    /** The configured banks' ids. */
    private readonly banks: ReadonlySet<string>,
  ) {}

  async add(input: { campusAccount: string; amount: number; rule: OrderRule }, now = new Date()): Promise<StandingOrder> {
    checkOrder(input, this.limits);
    boundBank(await requireAccount(this.ledger, input.campusAccount), this.banks);
    if (await this.get(input.campusAccount)) {
      throw new QuancunError('TRANSFER_ORDER_EXISTS', `campus account ${input.campusAccount} already has a standing order`, { campusAccount: input.campusAccount });
    }
    const order: StandingOrder = { campusAccount: input.campusAccount, amount: input.amount, rule: input.rule, createdAt: now.toISOString() };
    await this.store.batch([{ type: 'put', key: orderKey(order.campusAccount), value: order }]);
    return order;
  }

  /** Removes an order; transfers already journaled for it go on to their end. */
  async remove(campusAccount: string): Promise<StandingOrder> {
    const order = await this.get(campusAccount);
    if (!order) throw new QuancunError('TRANSFER_ORDER_UNKNOWN', `campus account ${campusAccount} has no standing order`, { campusAccount });
    await this.store.batch([{ type: 'del', key: orderKey(campusAccount) }]);
    return order;
  }

  get(campusAccount: string): Promise<StandingOrder | undefined> {
    return this.store.get<StandingOrder>(orderKey(campusAccount));
  }

  async list(): Promise<StandingOrder[]> {
    return (await this.store.list<StandingOrder>(ORDER_PREFIX)).map((e) => e.value);
  }
}
