/**
 * The gateway's TCP link to one bank host, speaking the bank's profile. One connection, kept open and re-opened
 * with backoff; requests are matched to answers by response MTI, STAN and terminal id.
 *
 * The session: `startSession` signs on and then keeps the session fresh on the profile's schedule (sign-on again every
 * `signOnEveryMs`, a line check after `echoEveryMs` without traffic); `signOff` ends it. A transfer or reversal is
 * never sent on an unsigned session, nor while a sign-on is under way (its keys are about to change).
 *
 * Every message written or read is handed, decoded and with its secrets taken out (message-view.ts), to the
 * `onMessage` hook: the gateway keeps them for its console (gateway/bank/iso-journal.ts).
 *
 * Errors say whether the bank may have acted: BANK_UNAVAILABLE and BANK_NOT_SIGNED_ON mean nothing was sent;
 * BANK_TIMEOUT (no answer, or the connection dropped after sending) and BANK_MAC_INVALID mean the outcome is
 * unknown and the caller must reverse.
 *
 * Each answer matched to its request emits `answer` ({ op, ms }), each request left unanswered `no-answer` ({ op }):
 * the gateway's metrics time the bank with them.
 */
import { Backoff } from '../../common/backoff.ts';
import { EventEmitter } from 'node:events';
import { connect, type Socket } from 'node:net';
import { QuancunError } from '../../common/errors.ts';
import { maskPan, silentLogger, type Logger } from '../../common/log.ts';
import type { BankKeys } from './bank-keys.ts';
import { createCodec, type Codec, type IsoMessage } from './iso8583/codec.ts';
import { attachIsoSocket } from './iso8583/iso-socket.ts';
import { encodeWithMac, macParts } from './iso8583/message-mac.ts';
import { viewMessage, type MessageView } from './iso8583/message-view.ts';
import { OPERATIONS, type BankProfile, type Operation } from './iso8583/profile.ts';
import { buildMessage, matchesTemplate, readMessage, type Vars } from './iso8583/template.ts';

export interface StanStore {
  /** The terminal's next system trace audit number, 1..999999, persisted before it is used (see stan-counter.ts). */
  next(): Promise<number>;
}

export interface BankLinkOptions {
  profile: BankProfile;
  keys: BankKeys;
  host: string;
  port: number;
  /** Binds the connection to the gateway's bank-side interface. */
  localAddress?: string;
  terminalId: string;
  merchantId: string;
  log?: Logger;
  /** The STANs of sign-on, sign-off, line check, settlement, and of a transfer that brings none. */
  stanStore: StanStore;
  /** Operator code sent at sign-on. */
  operator?: string;
  /** Override the profile's timeouts and session schedule (tests). */
  timeouts?: Partial<BankProfile['timeouts']>;
  session?: Partial<BankProfile['session']>;
  /** Each message sent or received, already masked; must not throw. */
  onMessage?: (message: LinkMessage) => void;
}

/** One message on the link, as the `onMessage` hook gets it. */
export interface LinkMessage {
  direction: 'sent' | 'received';
  at: Date;
  view: MessageView;
  /** The campus transaction a transfer or reversal (and its answer) belongs to. */
  campusRef?: string;
  /** For an answer: ms from its request written to the answer read. */
  answerMs?: number;
}

/** The link as an operator sees it: `connected` is a TCP connection without a session. */
export type LinkState = 'signed-on' | 'connected' | 'signed-off' | 'unreachable';

export interface LineCheck {
  at: string;
  ok: boolean;
  /** Why it failed. */
  code?: string;
}

/** End-of-day totals of one batch, fen and counts. */
export interface BatchTotals {
  debitAmount: number;
  debitCount: number;
  creditAmount: number;
  creditCount: number;
}

/** One transfer of a batch as a batch upload (0320) carries it. */
export interface BatchItem {
  stan: number;
  pan: string;
  amount: number;
  bankRef: string;
}

export interface StandingTransferRequest {
  /** A STAN the caller already journaled (it needs it for a reversal); allocated from the STAN store when absent. */
  stan?: number;
  pan: string;
  /** Fen. */
  amount: number;
  terminalId: string;
  merchantId: string;
  campusRef: string;
}

export interface TransferRequest extends StandingTransferRequest {
  /** Already under the bank's PIK (BankKeys.translatePinIn). */
  pinBlock: Buffer;
}

export interface TransferApproval {
  approved: true;
  /** Field 37, the bank's reference. */
  bankRef: string;
  stan: number;
  /** MMDD and hhmmss as the bank stamped them. */
  hostDate: string;
  hostTime: string;
}

export interface ReversalOriginal {
  stan: number;
  pan: string;
  amount: number;
  terminalId: string;
  merchantId: string;
  campusRef: string;
  /** The original was a standing transfer (no PIN): its 0400 copies that transfer's fields 22 and 25. */
  standing?: boolean;
}

/** 98 no answer in time, 96 approved but the terminal could not complete, A0 bad MAC on the answer, 06 other. */
export type ReversalReason = '98' | '96' | 'A0' | '06';

interface Pending {
  op: Operation;
  mac: boolean;
  campusRef?: string;
  /** performance.now() when the request was written: the answer time the link reports (`answer`) and keeps. */
  sentAt: number;
  resolve(vars: Vars): void;
  reject(err: QuancunError): void;
  timer: NodeJS.Timeout;
}

const APPROVED = '00';
/** 25: the bank cannot find the original, so it never debited: as good as a reversal. */
const REVERSAL_DONE = new Set(['00', '25']);

const stan6 = (stan: number) => {
  if (!Number.isInteger(stan) || stan < 1 || stan > 999999) throw new QuancunError('INTERNAL', `STAN ${stan} is out of 1..999999`);
  return String(stan).padStart(6, '0');
};

const batch6 = (batch: number) => {
  if (!Number.isInteger(batch) || batch < 1 || batch > 999999) throw new QuancunError('INTERNAL', `batch ${batch} is out of 1..999999`);
  return String(batch).padStart(6, '0');
};

export class BankLink extends EventEmitter {
  readonly #o: BankLinkOptions;
  readonly #codec: Codec;
  readonly #log: Logger;
  readonly #stans: StanStore;
  readonly #timeouts: BankProfile['timeouts'];
  readonly #pending = new Map<string, Pending>();
  #socket: Socket | null = null;
  #send: ((body: Buffer) => void) | null = null;
  #connecting: Promise<void> | null = null;
  #retryTimer: NodeJS.Timeout | null = null;
  readonly #reconnectBackoff: Backoff;
  #closed = false;
  #signedOn = false;
  #wantSignedOn = false;
  #signingOn: Promise<void> | null = null;
  /** The next sign-on after one that failed while a session is wanted, and the waits before it (the reconnect's policy). */
  #signOnTimer: NodeJS.Timeout | null = null;
  readonly #signOnBackoff: Backoff;
  #batch = '000001';
  readonly #session: BankProfile['session'];
  #sessionTimers: NodeJS.Timeout[] = [];
  #lastTraffic = 0;
  #checking = false;
  #signedOnSince: string | null = null;
  #lastLineCheck: LineCheck | null = null;
  #unreachable = false;

  constructor(options: BankLinkOptions) {
    super();
    this.#o = options;
    this.#codec = createCodec(options.profile);
    this.#log = options.log ?? silentLogger;
    this.#stans = options.stanStore;
    this.#timeouts = { ...options.profile.timeouts, ...options.timeouts };
    this.#session = { ...options.profile.session, ...options.session };
    const reconnect = { minMs: this.#timeouts.reconnectMinMs, maxMs: this.#timeouts.reconnectMaxMs };
    this.#reconnectBackoff = new Backoff(reconnect);
    this.#signOnBackoff = new Backoff(reconnect);
  }

  get signedOn(): boolean {
    return this.#signedOn;
  }

  get connected(): boolean {
    return this.#socket !== null;
  }

  get state(): LinkState {
    if (this.#signedOn) return 'signed-on';
    if (this.#socket) return this.#wantSignedOn ? 'connected' : 'signed-off';
    return this.#wantSignedOn || this.#unreachable ? 'unreachable' : 'signed-off';
  }

  /** When the current session was signed on (scheduled sign-ons renew its keys, not this time); null without one. */
  get signedOnSince(): string | null {
    return this.#signedOnSince;
  }

  get lastLineCheck(): LineCheck | null {
    return this.#lastLineCheck;
  }

  get profile(): BankProfile {
    return this.#o.profile;
  }

  /** The batch number (60.2) sent with every message; the settlement service rolls it. */
  get batch(): string {
    return this.#batch;
  }

  setBatch(batch: number): void {
    this.#batch = batch6(batch);
  }

  /** Signs on now, then again every `signOnEveryMs`, with a line check whenever the link was quiet for `echoEveryMs`. */
  async startSession(): Promise<void> {
    this.#stopSessionTimers();
    const every = (ms: number, fn: () => Promise<void>) => {
      const timer = setInterval(() => void fn().catch((err) => this.#log.warn('scheduled bank session step failed', { error: err as Error })), ms);
      timer.unref();
      this.#sessionTimers.push(timer);
    };
    every(this.#session.signOnEveryMs, () => this.signOn());
    every(this.#session.echoEveryMs, () => this.#lineCheck());
    await this.signOn();
  }

  /** A line check when nothing went either way for a while; a failed one means the session is signed on afresh. */
  async #lineCheck(): Promise<void> {
    if (this.#checking || !this.#signedOn || Date.now() - this.#lastTraffic < this.#session.echoEveryMs) return;
    // One at a time: an unanswered check is itself no traffic, and a second one must not overtake it.
    this.#checking = true;
    try {
      if ((await this.lineCheck()).ok) return;
      this.#setSignedOn(false);
      await this.signOn();
    } finally {
      this.#checking = false;
    }
  }

  /** One line check now (an operator's, or the schedule's); its outcome is `lastLineCheck` and a `line-check` event. */
  async lineCheck(): Promise<LineCheck> {
    let check: LineCheck;
    try {
      await this.echo();
      check = { at: new Date().toISOString(), ok: true };
    } catch (err) {
      check = { at: new Date().toISOString(), ok: false, code: QuancunError.from(err).code };
    }
    this.#lastLineCheck = check;
    this.emit('line-check', check.ok ? { ok: true } : { ok: false, code: check.code });
    return check;
  }

  #setSignedOn(on: boolean): void {
    if (on && !this.#signedOn) this.#signedOnSince = new Date().toISOString();
    if (!on) this.#signedOnSince = null;
    this.#signedOn = on;
  }

  /**
   * 0820 sign-off: the bank forgets the working keys; nothing is sent for this bank until the next sign-on. Not sent
   * when the line is down (the bank drops the session by itself); `responseMs` bounds the wait at shutdown.
   */
  async signOff(options: { responseMs?: number } = {}): Promise<void> {
    this.#stopSessionTimers();
    this.#wantSignedOn = false;
    if (!this.#signedOn) return;
    this.#setSignedOn(false);
    this.#o.keys.dropWorkingKeys();
    if (!this.#socket) return;
    const { terminalId, merchantId } = this.#o;
    const stan = stan6(await this.#stans.next());
    const vars = await this.#exchange('signOff', { stan, terminalId, merchantId, batch: this.#batch }, options.responseMs);
    if (vars.responseCode !== APPROVED) throw this.#declined('sign-off', vars);
    this.#log.info('signed off', { terminalId });
    this.emit('signed-off');
  }

  /** 0500/0510 for `batch`: true when the bank's totals agree (balanced), false when it asks for a batch upload. */
  async settle(batch: number, totals: BatchTotals): Promise<{ balanced: boolean }> {
    if (!this.#signedOn) throw new QuancunError('BANK_NOT_SIGNED_ON', 'not signed on with the bank: settlement not sent');
    const { terminalId, merchantId } = this.#o;
    const vars = await this.#exchange('settlement', {
      stan: stan6(await this.#stans.next()), terminalId, merchantId, batch: batch6(batch), operator: this.#o.operator ?? '001',
      debitAmount: String(totals.debitAmount).padStart(12, '0'), debitCount: String(totals.debitCount).padStart(3, '0'),
      creditAmount: String(totals.creditAmount).padStart(12, '0'), creditCount: String(totals.creditCount).padStart(3, '0'),
    });
    if (vars.responseCode !== APPROVED) throw this.#declined('settlement', vars);
    if (vars.settleResult !== '1' && vars.settleResult !== '2') throw new QuancunError('BANK_PROTOCOL', `settlement result "${String(vars.settleResult)}" is neither 1 nor 2`);
    return { balanced: vars.settleResult === '1' };
  }

  /** 0320: one transfer of an unbalanced batch. Carries the transfer's own STAN, so repeating it is harmless. */
  async uploadBatchItem(batch: number, item: BatchItem): Promise<void> {
    if (!this.#signedOn) throw new QuancunError('BANK_NOT_SIGNED_ON', 'not signed on with the bank: batch upload not sent');
    const { terminalId, merchantId } = this.#o;
    const vars = await this.#exchange('batchUpload', {
      stan: stan6(item.stan), pan: item.pan, amount: String(item.amount).padStart(12, '0'), bankRef: item.bankRef,
      terminalId, merchantId, batch: batch6(batch),
    });
    if (vars.responseCode !== APPROVED) throw this.#declined('batch upload', vars, item.stan);
  }

  /** 0800/0810: installs the working keys of field 62; later reconnects sign on again by themselves if needed. */
  signOn(): Promise<void> {
    this.#wantSignedOn = true;
    this.#signingOn ??= this.#signOn()
      .then(() => this.#signOnBackoff.reset(), (err: unknown) => {
        this.#signOnLater(err);
        throw err;
      })
      .finally(() => (this.#signingOn = null));
    return this.#signingOn;
  }

  /**
   * A session is wanted and the sign-on failed (no answer, a refusal, the line down): without a session every load
   * is refused, so it is tried again after the reconnect backoff until it succeeds or the session is ended, rather
   * than at the next scheduled sign-on a day later.
   */
  #signOnLater(err: unknown): void {
    if (this.#closed || !this.#wantSignedOn || this.#signOnTimer) return;
    const delay = this.#signOnBackoff.next();
    this.#log.warn('sign-on failed; signing on again', { code: QuancunError.from(err).code, nextInMs: delay });
    this.#signOnTimer = setTimeout(() => {
      this.#signOnTimer = null;
      if (this.#wantSignedOn && !this.#signedOn) this.signOn().catch(() => {});
    }, delay);
    this.#signOnTimer.unref();
  }

  async #signOn(): Promise<void> {
    const { terminalId, merchantId } = this.#o;
    const vars = await this.#exchange('signOn', {
      stan: stan6(await this.#stans.next()), terminalId, merchantId, batch: this.#batch, operator: this.#o.operator ?? '001',
    });
    if (vars.responseCode !== APPROVED) throw this.#declined('sign-on', vars);
    if (!Buffer.isBuffer(vars.workingKeys)) throw new QuancunError('BANK_PROTOCOL', 'the sign-on answer carries no working keys');
    this.#o.keys.installWorkingKeys(vars.workingKeys, this.#o.profile.workingKeys);
    if (typeof vars.batch === 'string') this.#batch = vars.batch;
    this.#setSignedOn(true);
    this.#log.info('signed on', { terminalId });
    this.emit('signed-on');
  }

  /** 0820 line check. */
  async echo(): Promise<void> {
    const { terminalId, merchantId } = this.#o;
    const vars = await this.#exchange('echo', { stan: stan6(await this.#stans.next()), terminalId, merchantId, batch: this.#batch });
    if (vars.responseCode !== APPROVED) throw this.#declined('echo', vars);
  }

  /** 0200/0210: debits the cardholder's bank account, authorised by the PIN. */
  transfer(req: TransferRequest): Promise<TransferApproval> {
    return this.#debit('transfer', req, { pinBlock: req.pinBlock });
  }

  /**
   * 0200/0210 without a PIN, under the cardholder's standing agreement with the bank (代扣协议): the batch transfer
   * mode. A bank that holds no agreement for the account declines it (57 in the simulator).
   */
  standingTransfer(req: StandingTransferRequest): Promise<TransferApproval> {
    return this.#debit('standingTransfer', req, {});
  }

  async #debit(op: 'transfer' | 'standingTransfer', req: StandingTransferRequest, extra: Vars): Promise<TransferApproval> {
    await this.#signingOn?.catch(() => {});
    if (!this.#signedOn) throw new QuancunError('BANK_NOT_SIGNED_ON', 'not signed on with the bank: transfer not sent');
    if (!this.#o.profile.cardBins.some((bin) => req.pan.startsWith(bin))) {
      throw new QuancunError('BANK_DECLINED', `card ${maskPan(req.pan)} is outside the bank's BIN ranges`, { responseCode: '14', local: true });
    }
    const stan = req.stan ?? (await this.#stans.next());
    const vars = await this.#exchange(op, { ...this.#moneyVars(req, stan), ...extra });
    switch (vars.responseCode) {
      case APPROVED:
        if (typeof vars.bankRef !== 'string') throw new QuancunError('BANK_PROTOCOL', 'approval without a bank reference', { stan });
        return { approved: true, bankRef: vars.bankRef, stan, hostDate: String(vars.hostDate ?? ''), hostTime: String(vars.hostTime ?? '') };
      case '51':
        throw new QuancunError('BANK_INSUFFICIENT_FUNDS', undefined, { responseCode: '51', stan });
      case '55':
        throw new QuancunError('PIN_WRONG', undefined, { responseCode: '55', stan });
      default:
        throw this.#declined('transfer', vars, stan);
    }
  }

  /** 0400/0410 for an earlier transfer, with its fields (STAN included). Safe to repeat: the bank applies it once. */
  /** `originalFound` false: the bank answered 25, it never had the transfer (so never debited). */
  async reverse(original: ReversalOriginal, reason: ReversalReason): Promise<{ confirmed: true; originalFound: boolean }> {
    await this.#signingOn?.catch(() => {});
    if (!this.#signedOn) throw new QuancunError('BANK_NOT_SIGNED_ON', 'not signed on with the bank: reversal not sent');
    const vars = await this.#exchange(original.standing ? 'standingReversal' : 'reversal', { ...this.#moneyVars(original, original.stan), reason });
    if (!REVERSAL_DONE.has(String(vars.responseCode))) throw this.#declined('reversal', vars, original.stan);
    return { confirmed: true, originalFound: vars.responseCode === APPROVED };
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#stopSessionTimers();
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    const socket = this.#socket;
    if (!socket) return;
    await new Promise<void>((resolve) => {
      socket.once('close', () => resolve());
      socket.destroy();
    });
  }

  #stopSessionTimers(): void {
    for (const t of this.#sessionTimers) clearInterval(t);
    this.#sessionTimers = [];
    if (this.#signOnTimer) clearTimeout(this.#signOnTimer);
    this.#signOnTimer = null;
  }

  #moneyVars(m: Omit<ReversalOriginal, 'stan'>, stan: number): Vars {
    if (!Number.isInteger(m.amount) || m.amount <= 0 || m.amount > 999_999_999_999) {
      throw new QuancunError('AMOUNT_INVALID', `amount ${m.amount} fen cannot be sent`);
    }
    return {
      stan: stan6(stan), pan: m.pan, amount: String(m.amount).padStart(12, '0'), terminalId: m.terminalId,
      merchantId: m.merchantId, campusRef: m.campusRef, batch: this.#batch,
    };
  }

  #declined(what: string, vars: Vars, stan?: number): QuancunError {
    return new QuancunError('BANK_DECLINED', `${what} declined by the bank (${String(vars.responseCode)})`, {
      responseCode: vars.responseCode, ...(stan ? { stan } : {}),
    });
  }

  async #exchange(op: Operation, vars: Vars, responseMs = this.#timeouts.responseMs): Promise<Vars> {
    const { profile, keys } = this.#o;
    const t = profile.templates[op];
    const msg = buildMessage(t.request, profile.fields, vars);
    const body = t.mac ? encodeWithMac(this.#codec, profile.mac, msg, (d) => keys.mac(profile.mac.algorithm, d)) : this.#codec.encode(msg);
    const key = `${t.response.mti}|${String(vars.stan)}|${String(vars.terminalId)}`;
    try {
      await this.#connect();
    } catch (err) {
      throw new QuancunError('BANK_UNAVAILABLE', `cannot reach the bank: ${(err as Error).message}`, {}, { cause: err });
    }
    if (this.#pending.has(key)) throw new QuancunError('INTERNAL', `a ${op} with STAN ${String(vars.stan)} is already waiting for its answer`);
    return new Promise<Vars>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(key);
        this.emit('no-answer', { op });
        reject(new QuancunError('BANK_TIMEOUT', `no ${op} answer within ${responseMs} ms`, { stan: vars.stan }));
      }, responseMs);
      const campusRef = typeof vars.campusRef === 'string' ? vars.campusRef : undefined;
      this.#pending.set(key, { op, mac: t.mac, resolve, reject, timer, sentAt: performance.now(), ...(campusRef ? { campusRef } : {}) });
      this.#lastTraffic = Date.now();
      this.#send!(body);
      this.#tap('sent', body, campusRef);
    });
  }

  /** Hands a message to the `onMessage` hook; a failing hook is logged, never the link's failure. */
  #tap(direction: LinkMessage['direction'], msg: IsoMessage | Buffer, campusRef?: string, answerMs?: number): void {
    if (!this.#o.onMessage) return;
    try {
      // A body sent is decoded again rather than taken from the template: the MAC is only in the bytes.
      const decoded = Buffer.isBuffer(msg) ? this.#codec.decode(msg) : msg;
      this.#o.onMessage({
        direction, at: new Date(), view: viewMessage(this.#o.profile, decoded),
        ...(campusRef ? { campusRef } : {}), ...(answerMs !== undefined ? { answerMs } : {}),
      });
    } catch (err) {
      this.#log.warn('the bank message hook failed', { error: err as Error });
    }
  }

  #onMessage(msg: IsoMessage, body: Buffer): void {
    const op = OPERATIONS.find((o) => matchesTemplate(this.#o.profile.templates[o].response, msg));
    if (!op) {
      this.#tap('received', msg);
      this.#log.warn('unexpected message from the bank', { mti: msg.mti });
      return;
    }
    const vars = readMessage(this.#o.profile.templates[op].response, msg);
    const key = `${msg.mti}|${String(vars.stan)}|${String(vars.terminalId)}`;
    const pending = this.#pending.get(key);
    if (!pending) {
      this.#tap('received', msg);
      this.#log.warn('answer matches no waiting request (late?)', { mti: msg.mti, stan: vars.stan, responseCode: vars.responseCode });
      return;
    }
    const ms = performance.now() - pending.sentAt;
    this.#tap('received', msg, pending.campusRef, Math.round(ms * 10) / 10);
    this.#pending.delete(key);
    clearTimeout(pending.timer);
    this.#lastTraffic = Date.now();
    this.emit('answer', { op: pending.op, ms });
    if (pending.mac) {
      const { algorithm } = this.#o.profile.mac;
      const parts = macParts(this.#o.profile.mac, body, msg);
      // A decline without a MAC is accepted (it moves no money); an approval must carry a good one.
      const bad = parts ? !this.#o.keys.verifyMac(algorithm, parts.data, parts.mac) : vars.responseCode === APPROVED;
      if (bad) {
        pending.reject(new QuancunError('BANK_MAC_INVALID', `the ${op} answer fails MAC verification`, { stan: vars.stan }));
        return;
      }
    }
    pending.resolve(vars);
  }

  #connect(): Promise<void> {
    if (this.#socket) return Promise.resolve();
    if (this.#closed) return Promise.reject(new Error('link closed'));
    this.#connecting ??= new Promise<void>((resolve, reject) => {
      const { host, port, localAddress } = this.#o;
      const socket = connect({ host, port, ...(localAddress ? { localAddress } : {}) });
      const timer = setTimeout(() => socket.destroy(new Error(`connect timeout after ${this.#timeouts.connectMs} ms`)), this.#timeouts.connectMs);
      socket.once('error', (err) => {
        clearTimeout(timer);
        this.#unreachable = true;
        reject(err);
        this.#scheduleReconnect();
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        socket.on('error', (err) => this.#log.warn('bank connection error', { error: err }));
        socket.once('close', () => this.#onClose(socket));
        this.#send = attachIsoSocket(socket, this.#o.profile, this.#codec, 'client', {
          message: (msg, body) => this.#onMessage(msg, body),
          error: (err) => this.#log.warn('bad message from the bank', { error: err }),
        });
        this.#socket = socket;
        this.#unreachable = false;
        this.#reconnectBackoff.reset();
        this.#log.info('connected to the bank', { host, port });
        this.emit('connected');
        resolve();
        if (this.#wantSignedOn && !this.#signedOn) {
          this.signOn().catch((err) => this.#log.warn('automatic sign-on failed', { error: err as Error }));
        }
      });
    }).finally(() => (this.#connecting = null));
    return this.#connecting;
  }

  #onClose(socket: Socket): void {
    if (this.#socket !== socket) return;
    this.#socket = null;
    this.#send = null;
    // Sent but unanswered: the bank may have acted, so these are timeouts, not "unavailable".
    for (const [key, p] of this.#pending) {
      clearTimeout(p.timer);
      this.emit('no-answer', { op: p.op });
      p.reject(new QuancunError('BANK_TIMEOUT', 'the bank connection closed before the answer', { key }));
    }
    this.#pending.clear();
    if (this.#closed) this.#log.info('bank connection closed');
    else this.#log.warn('bank connection lost');
    this.emit('disconnected');
    this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    if (this.#closed || this.#retryTimer) return;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      this.#connect().catch(() => {});
    }, this.#reconnectBackoff.next());
    this.#retryTimer.unref();
  }
}
