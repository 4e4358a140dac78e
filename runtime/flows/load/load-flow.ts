/**
 * Runs one bank-to-card load on a card session, driving LOAD_MACHINE. Each money-moving step (asking the gateway to
 * debit the bank, sending CREDIT FOR LOAD to the card) happens only after the state that admits it is synced.
 */
import { QuancunError, type ErrorCode } from '../../../common/errors.ts';
import type { Logger } from '../../../common/log.ts';
import type { PinPad } from '../../../hal/pin-pad/pin-pad.ts';
import type { CardReader } from '../../../hal/card-reader/card-reader.ts';
import { initializeForLoad, creditForLoad } from '../../card/purse.ts';
import type { CardProfile } from '../../card/card-profile.ts';
import type { KioskLink } from '../../link/kiosk-link.ts';
import type { KioskJournal } from '../../journal/kiosk-journal.ts';
import type { CardSession } from '../card-session.ts';
import { confirmCredit, creditedOutcome, LOAD_KEY_INDEX } from '../settle-credit.ts';
import { writtenAtTap } from '../collect/collect-flow.ts';
import type { LoadRecord, LoadState } from './load-machine.ts';
import { resolveTorn, type RePresentInfo } from './torn-load.ts';

export type LoadStep = 'pin-entry' | 'card-init' | 'bank' | 'card-credit' | 'confirming';

export interface LoadContext {
  journal: KioskJournal;
  link: KioskLink;
  pinPad: PinPad;
  terminalId: string;
  log: Logger;
  onStep?: (step: LoadStep) => void;
  /** Aborts the PIN entry (the cardholder cancelled on screen or took the card): nothing has been sent by then. */
  signal?: AbortSignal;
  /** Where the same card is asked back after a torn credit. */
  reader: CardReader;
  cardProfile: CardProfile;
  /** The wait for the same card, each second and on a wrong card: what the re-present screen shows. */
  onRePresent?: (info: RePresentInfo) => void;
  /** The kiosk is stopping: a torn load stops waiting and stays torn for recovery to park at the next start. */
  stopSignal?: AbortSignal;
}

interface OutcomeOf<S extends LoadState> {
  txnId: string;
  state: S;
  amount: number;
  cardBefore: number;
}

/** The card holds the money. `credited`: the gateway's final posting is still owed (recovery posts it). */
export interface LoadCredited extends OutcomeOf<'completed' | 'credited'> {
  cardAfter: number;
  tac: string;
  /** False until the gateway verified the TAC, and when it found it bad (code CARD_TAC_INVALID). */
  tacVerified: boolean;
  /** The bank's reference for the debit, printed on the receipt. */
  bankRef: string;
  code?: ErrorCode;
}

/** The card was not credited: its balance is the one it started from; the code says why. */
export interface LoadNotCredited extends OutcomeOf<'created' | 'authorizing' | 'authorized' | 'declined' | 'abandoning' | 'abandoned'> {
  cardAfter: number;
  tacVerified: false;
  code: ErrorCode;
  /** The operator's words for the error that ended the load (the journal keeps only its code). */
  message?: string;
}

/** Only the card's online counter can tell whether it holds the money (torn, or parked as a pending load 圈存未领). */
export interface LoadUndecided extends OutcomeOf<'crediting' | 'torn' | 'pending-load'> {
  tacVerified: false;
  code: ErrorCode;
  message?: string;
}

/** What a load ended as, one shape for each thing the card may hold, so no end has to read the journal for it. */
export type LoadOutcome = LoadCredited | LoadNotCredited | LoadUndecided;

const LINK_UNCERTAIN = new Set(['LINK_TIMEOUT', 'LINK_OFFLINE']);

/** The checks a kiosk can make before anything is sent; each failure is a typed error and moves no money. */
export function checkLoadAmount(session: CardSession, amount: number): void {
  if (!Number.isSafeInteger(amount) || amount <= 0) throw new QuancunError('AMOUNT_INVALID', `amount must be a positive number of fen: ${amount}`);
  if (!session.account.bound) throw new QuancunError('CARD_NOT_BOUND', 'card is not bound to a bank account');
  // A second load would move the card's counter and leave the owed one undecidable: the owed one is written first.
  // A subsidy never given a MAC2 does not hold the card's counter: a load may go first.
  if (session.account.pendingLoads.some(writtenAtTap)) throw new QuancunError('PENDING_LOAD_FIRST', 'the card is owed a pending load');
  const { maxLoad, purseLimit } = session.account.limits;
  if (amount > maxLoad) throw new QuancunError('AMOUNT_OVER_LOAD_LIMIT', `amount ${amount} exceeds the single-load limit ${maxLoad}`, { maxLoad });
  if (session.balance + amount > purseLimit) {
    throw new QuancunError('AMOUNT_OVER_PURSE_LIMIT', `balance would exceed the purse limit ${purseLimit}`, { purseLimit, balance: session.balance });
  }
}

export async function runLoad(ctx: LoadContext, session: CardSession, amount: number): Promise<LoadOutcome> {
  checkLoadAmount(session, amount);
  // Before the PIN: a gateway away for longer than a takeover is told now, not after the cardholder typed it.
  await ctx.link.whenOnline('load', ctx.signal);
  const { journal } = ctx;

  ctx.onStep?.('pin-entry');
  const pinBlock = await ctx.pinPad.readPinBlock({ pan12: session.account.pinPan12 ?? '', ...(ctx.signal ? { signal: ctx.signal } : {}) });

  const { id: txnId, reserve } = journal.nextTxnId();
  const log = ctx.log.child({ txnId });
  let rec = await journal.loads.create({
    id: txnId, state: 'created', kind: 'load', amount, terminalId: ctx.terminalId, asn: session.asn, cardBefore: session.balance,
  }, [reserve]);
  let message: string | undefined;
  try {
    rec = await drive(ctx, session, rec, pinBlock);
    log.info('load finished', { state: rec.state, amount });
  } catch (err) {
    const e = QuancunError.from(err);
    log.info('load ended without a credit', { code: e.code });
    rec = { ...(await journal.loads.require(txnId)), code: e.code };
    message = e.message;
  }
  return outcomeOf(rec, rec.cardBefore ?? session.balance, message);
}

/**
 * `cardBefore`: the card's balance when the load began (the record has none if the card's INITIALIZE failed).
 * `message`: the operator's words for the error that ended the load, when this run saw it.
 */
function outcomeOf(rec: LoadRecord, cardBefore: number, message?: string): LoadOutcome {
  const base = { txnId: rec.id, amount: rec.amount, cardBefore };
  // Every record that did not end on the card carries the code of why: one short of it is a bug.
  const code = rec.code ?? 'INTERNAL';
  switch (rec.state) {
    case 'completed':
    case 'credited':
      // bankRef is journaled at `authorized`, which every credit passed.
      return { ...base, state: rec.state, ...creditedOutcome(rec), bankRef: rec.bankRef! };
    case 'crediting':
    case 'torn':
    case 'pending-load':
      return { ...base, state: rec.state, tacVerified: false, code, ...(message ? { message } : {}) };
    case 'created':
    case 'authorizing':
    case 'authorized':
    case 'declined':
    case 'abandoning':
    case 'abandoned':
      return { ...base, state: rec.state, cardAfter: cardBefore, tacVerified: false, code, ...(message ? { message } : {}) };
  }
}

/** The journaled steps after the record exists; throws (after journaling) when the load cannot go on. */
async function drive(ctx: LoadContext, session: CardSession, rec: LoadRecord, pinBlock: Buffer): Promise<LoadRecord> {
  const { journal } = ctx;
  const step = (s: LoadStep) => ctx.onStep?.(s);
  const amount = rec.amount;
  const txnId = rec.id;
  step('card-init');
  let init;
  try {
    init = await initializeForLoad(session.channel, { keyIndex: LOAD_KEY_INDEX, amount, terminalId: Buffer.from(ctx.terminalId, 'hex') });
  } catch (err) {
    const e = QuancunError.from(err);
    await journal.loads.advance(rec, e.code === 'CARD_REMOVED' ? 'abandoned' : 'declined', { code: e.code, outcome: 'not-debited' });
    throw e;
  }

  rec = await journal.loads.advance(rec, 'authorizing', { cardBefore: init.oldBalance, onlineCounter: init.onlineCounter });
  step('bank');
  let auth;
  try {
    auth = await ctx.link.request('load.authorize', {
      txnId, asn: session.asn, amount, terminalId: ctx.terminalId, pinBlock: pinBlock.toString('hex').toUpperCase(),
      card: {
        oldBalance: init.oldBalance, onlineCounter: init.onlineCounter, keyVersion: init.keyVersion, algId: init.algId,
        random: init.random.toString('hex').toUpperCase(), mac1: init.mac1.toString('hex').toUpperCase(),
      },
    });
  } catch (err) {
    const e = QuancunError.from(err);
    if (LINK_UNCERTAIN.has(e.code)) {
      // The request may have reached the gateway and the bank may have debited: have the gateway undo it.
      rec = await journal.loads.advance(rec, 'abandoning', { code: e.code });
      await abandonLoad(ctx, rec).catch(() => {});
    } else {
      await journal.loads.advance(rec, 'declined', { code: e.code, outcome: 'not-debited' });
    }
    throw e;
  }

  rec = await journal.loads.advance(rec, 'authorized', { mac2: auth.mac2, hostDate: auth.hostDate, hostTime: auth.hostTime, bankRef: auth.bankRef });
  rec = await journal.loads.advance(rec, 'crediting');
  step('card-credit');
  const written = await creditForLoad(session.channel, {
    date: Buffer.from(auth.hostDate, 'hex'), time: Buffer.from(auth.hostTime, 'hex'), mac2: Buffer.from(auth.mac2, 'hex'),
  });
  if (written.decision === 'undecided') {
    // The card may or may not have applied the credit: only its online counter can tell (torn write).
    rec = await journal.loads.advance(rec, 'torn', { code: written.error.code });
    ctx.log.warn('card write undecided: torn load', { txnId, code: written.error.code });
    return resolveTorn(ctx, rec, session.account.limits.rePresentSeconds);
  }
  if (written.decision === 'not-applied') {
    // The card refused before changing anything (card-write.ts lists each such answer): the debit must go back.
    rec = await journal.loads.advance(rec, 'abandoning', { code: written.error.code });
    await abandonLoad(ctx, rec).catch(() => {});
    throw written.error;
  }
  const tac = written.value;

  rec = await journal.loads.advance(rec, 'credited', { tac: tac.toString('hex').toUpperCase(), cardAfter: init.oldBalance + amount });
  step('confirming');
  return confirmLoad(ctx, rec).catch((err) => {
    ctx.log.warn('final posting not confirmed yet', { txnId, code: QuancunError.from(err).code });
    return rec;
  });
}

/** Asks the gateway to post finally. A TAC the gateway rejects still ends the kiosk's record, flagged. */
export async function confirmLoad(ctx: Pick<LoadContext, 'link' | 'journal'>, rec: LoadRecord): Promise<LoadRecord> {
  const verified = await confirmCredit(ctx.link, { txnId: rec.id, tac: rec.tac!, newBalance: rec.cardAfter!, onlineCounter: rec.onlineCounter! });
  return ctx.journal.loads.advance(rec, 'completed', verified ? { tacVerified: true } : { tacVerified: false, code: 'CARD_TAC_INVALID' });
}

/** A torn load whose card is gone: the gateway keeps the amount as a pending load (圈存未领) for the card's next tap. */
export async function parkLoad(ctx: Pick<LoadContext, 'link' | 'journal'>, rec: LoadRecord): Promise<LoadRecord> {
  const answer = await ctx.link.request('load.park', { txnId: rec.id });
  return ctx.journal.loads.advance(rec, 'pending-load', { code: 'LOAD_PENDING', outcome: answer.state === 'completed' ? 'collected' : 'pending-load' });
}

export async function abandonLoad(ctx: Pick<LoadContext, 'link' | 'journal'>, rec: LoadRecord): Promise<LoadRecord> {
  const answer = await ctx.link.request('load.abandon', { txnId: rec.id, reason: rec.code ?? 'CARD_REMOVED' });
  return ctx.journal.loads.advance(rec, 'abandoned', { outcome: answer.outcome });
}
