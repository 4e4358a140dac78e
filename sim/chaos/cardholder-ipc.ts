/**
 * A simulated cardholder at a kiosk process, driven by its parent over IPC: the parent puts the card in the field
 * (card-field-ipc.ts) and asks for a load or a fee; the kiosk child reads the card and starts it as the screens would:
 * a load typing the PIN on the simulated PIN pad's keys once the pad lights up, a fee after the biller's lookup
 * (`fee.lookup`, the confirmation page), or only collecting what the card is owed (a subsidy or transfer run: 补助领取
 * after what the tap writes). The answer is the load's, fee's or last collect's end as the kiosk saw it. A card owed
 * credits written at the tap has them written first, as the screens do. A parent that loses the child (killed) gets the
 * rejection from `requestLoad` / `requestFee`.
 */
import { once } from 'node:events';
import type { ChildProcess } from 'node:child_process';
import { QuancunError, type ErrorCode } from '../../common/errors.ts';
import type { Kiosk } from '../../runtime/kiosk.ts';
import type { Keypad } from '../pin-pad/pin-pad-emulator.ts';
import type { IpcPort } from './card-field-ipc.ts';
import { writtenAtTap } from '../../runtime/flows/collect/collect-flow.ts';

export interface LoadAsk {
  t: 'load';
  id: number;
  amount: number;
  pin: string;
}

export interface FeeAsk {
  t: 'fee';
  id: number;
  amount: number;
  billerId: string;
  account: string;
}

/** The cardholder only collects what the card is owed: what the tap writes, and the subsidies (补助领取). */
export interface CollectAsk {
  t: 'collect';
  id: number;
}

type Ask = LoadAsk | FeeAsk | CollectAsk;

export interface LoadAnswer {
  t: 'load-result';
  id: number;
  txnId: string | null;
  /**
   * The kiosk record's state when the load or fee returned, or `refused` before a record existed; for a collect, the
   * last credit's collect state (`nothing` when the card was owed nothing).
   */
  state: string;
  code?: ErrorCode;
  /** Pending loads written onto the card before the load. */
  collected?: number;
}

/** How long after the ask the kiosk's reader may take to report the card the parent put down. */
const CARD_SEEN_MS = 2000;

const isAsk = (m: unknown): m is Ask => typeof m === 'object' && m !== null && ['load', 'fee', 'collect'].includes((m as { t?: string }).t ?? '');

/** Child side: answers load and fee requests on `port` with `kiosk`, typing PINs on `keypad`. */
export function serveCardholder(port: IpcPort, kiosk: Kiosk, keypad: Keypad): void {
  port.on('message', (m) => {
    if (!isAsk(m)) return;
    actOut(kiosk, keypad, m).then((answer) => port.send(answer), (err: unknown) => {
      port.send({ t: 'load-result', id: m.id, txnId: null, state: 'refused', code: QuancunError.from(err).code } satisfies LoadAnswer);
    });
  });
}

async function actOut(kiosk: Kiosk, keypad: Keypad, ask: Ask): Promise<LoadAnswer> {
  if (!kiosk.link.online) await once(kiosk.link, 'online');
  // The card was put on the reader before the ask; a PC/SC reader may learn of it a moment after the parent did
  // (pcscd tells each client separately). A card not seen in that time is gone: CARD_ABSENT.
  await kiosk.reader.waitForCard(AbortSignal.timeout(CARD_SEEN_MS)).catch(() => {});
  let session = await kiosk.openSession();
  // As the screens do: a fee in doubt (a torn purchase whose card went away) is decided by the card's counter first.
  if (session.account.feesInDoubt?.length) session = (await kiosk.decideFees(session)).session;
  // As the screens do: what the card is owed at the tap (a pending load 圈存未领, a refund, a transfer, a subsidy whose
  // MAC2 was issued) is written first, then the cardholder loads; a subsidy waits until the cardholder picks 补助领取.
  // The cardholder who collects picks the subsidies (补助领取) once the tap wrote what it writes.
  const atTap = session.account.pendingLoads.filter(writtenAtTap);
  const owed = ask.t === 'collect' ? [...atTap, ...session.account.pendingLoads.filter((o) => !writtenAtTap(o))] : atTap;
  if (ask.t === 'collect') {
    try {
      const outcomes = owed.length ? await kiosk.collect(session, owed) : [];
      const end = outcomes.at(-1);
      const collected = outcomes.filter((o) => o.state === 'completed').length;
      return { t: 'load-result', id: ask.id, txnId: end?.txnId ?? null, state: end?.state ?? 'nothing', collected, ...(end?.code ? { code: end.code } : {}) };
    } finally {
      await session.channel.close().catch(() => {});
    }
  }
  let collected = 0;
  if (owed.length > 0) {
    try {
      collected = (await kiosk.collect(session, owed)).filter((o) => o.state === 'completed').length;
    } finally {
      await session.channel.close().catch(() => {});
    }
    session = await kiosk.openSession();
  }
  if (ask.t === 'fee') {
    try {
      // The confirmation page shows whom the fee pays before the cardholder confirms it.
      await kiosk.lookupFee(ask.billerId, ask.account);
      const outcome = await kiosk.fee(session, { billerId: ask.billerId, account: ask.account, amount: ask.amount });
      return { t: 'load-result', id: ask.id, txnId: outcome.txnId, state: outcome.state, collected, ...(outcome.code ? { code: outcome.code } : {}) };
    } finally {
      await session.channel.close().catch(() => {});
    }
  }
  const typePin = () => {
    keypad.type(ask.pin);
    keypad.enter();
  };
  keypad.on('entry', typePin);
  try {
    const outcome = await kiosk.load(session, ask.amount);
    return { t: 'load-result', id: ask.id, txnId: outcome.txnId, state: outcome.state, collected, ...(outcome.code ? { code: outcome.code } : {}) };
  } finally {
    keypad.off('entry', typePin);
    await session.channel.close().catch(() => {});
  }
}

let nextAsk = 0;

/** Parent side: one load at the child kiosk; rejects if the child exits first or takes longer than `limitMs`. */
export function requestLoad(child: ChildProcess, amount: number, pin: string, limitMs = 60_000): Promise<LoadAnswer> {
  return request(child, { t: 'load', id: ++nextAsk, amount, pin }, limitMs);
}

/** Parent side: the card collects what it is owed at the child kiosk (its subsidies too), as requestLoad. */
export function requestCollect(child: ChildProcess, limitMs = 60_000): Promise<LoadAnswer> {
  return request(child, { t: 'collect', id: ++nextAsk }, limitMs);
}

/** Parent side: one fee at the child kiosk, as requestLoad. */
export function requestFee(child: ChildProcess, fee: { billerId: string; account: string; amount: number }, limitMs = 60_000): Promise<LoadAnswer> {
  return request(child, { t: 'fee', id: ++nextAsk, ...fee }, limitMs);
}

function request(child: ChildProcess, ask: Ask, limitMs: number): Promise<LoadAnswer> {
  const { id } = ask;
  return new Promise((resolve, reject) => {
    const onMessage = (m: unknown) => {
      if (typeof m !== 'object' || m === null || (m as LoadAnswer).t !== 'load-result' || (m as LoadAnswer).id !== id) return;
      done();
      resolve(m as LoadAnswer);
    };
    const onExit = () => {
      done();
      reject(new QuancunError('INTERNAL', `the kiosk process ended during the ${ask.t}`));
    };
    const done = () => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    if (!child.connected) return reject(new QuancunError('INTERNAL', 'the kiosk process is not running'));
    const timer = setTimeout(() => {
      done();
      reject(new QuancunError('TXN_STATE', `the kiosk did not end the ${ask.t} within ${limitMs} ms`));
    }, limitMs);
    child.on('message', onMessage);
    child.once('exit', onExit);
    child.send(ask);
  });
}
