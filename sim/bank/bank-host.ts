/**
 * A bank host for tests and the embedded default: an ISO 8583 TCP server speaking whatever bank profile it is given.
 * It signs terminals on with fresh working keys, checks MACs and PIN blocks, debits and credits its accounts, and
 * answers repeated reversals without crediting twice. Knobs (latency, declines, silence, bad MACs, dropped
 * connections) let tests and the fault-injection harness make it misbehave.
 *
 * Choices: `silence` applies the request and withholds the answer (the case a gateway must reverse);
 * `dropConnection` closes the connection without applying it. A reversal of an unknown original answers 25 and
 * is remembered, so a late-arriving original with that STAN is refused (94) instead of debiting.
 *
 * A standing transfer (0200 without a PIN, gateway/transfers/) is approved only for an account whose holder signed a
 * standing agreement (`standingAgreement`); any other account gets 57 (transaction not permitted to the cardholder).
 *
 * Settlement (0500) compares the terminal's totals with the transfers the bank applied in that batch and answers
 * balanced (1) or not (2); batch upload items (0320) are kept. `dayFile` writes the day's reconciliation file from
 * the bank's own log, in the profile's layout.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { campusTime, DEFAULT_TIME_ZONE, type CampusTime } from '../../common/campus-time.ts';
import { QuancunError } from '../../common/errors.ts';
import { silentLogger, type Logger } from '../../common/log.ts';
import { pan12FromPan, verifyPinBlock } from '../../common/crypto/pin-block.ts';
import { wrapWorkingKeys, type WorkingKeys } from '../../gateway/bank/bank-keys.ts';
import { createCodec, type Codec, type IsoMessage } from '../../gateway/bank/iso8583/codec.ts';
import { attachIsoSocket } from '../../gateway/bank/iso8583/iso-socket.ts';
import { computeMac, encodeWithMac, macParts } from '../../gateway/bank/iso8583/message-mac.ts';
import { OPERATIONS, type BankProfile, type Operation } from '../../gateway/bank/iso8583/profile.ts';
import { bankFileName, formatBankFile, type BankFileRecord } from '../../gateway/reconcile/bank-file.ts';
import { buildMessage, matchesTemplate, readMessage, type Vars } from '../../gateway/bank/iso8583/template.ts';

export interface BankAccount {
  pan: string;
  /** Fen. */
  balance: number;
  pin: string;
  /** The holder signed a standing agreement (代扣协议): transfers without a PIN are approved for this account. */
  standingAgreement?: boolean;
}

export interface AppliedTransfer {
  terminalId: string;
  stan: string;
  pan: string;
  amount: number;
  bankRef: string;
  time: string;
  /** `reversal-only`: a reversal came for a transfer this bank never saw. */
  status: 'debited' | 'reversed' | 'reversal-only';
  /** Field 60.2 of the transfer, and field 63. */
  batch?: string;
  campusRef?: string;
  reversedAt?: string;
}

export interface Settlement {
  terminalId: string;
  batch: string;
  /** 1 balanced, 2 not balanced. */
  result: '1' | '2';
  totals: { debitAmount: number; debitCount: number };
  uploads: Array<{ stan: string; pan: string; amount: number; bankRef: string }>;
  at: string;
}

export interface BankHostState {
  accounts: BankAccount[];
  applied: AppliedTransfer[];
  settlements?: Settlement[];
  /** Working keys per terminal id, hex, so a restarted bank still knows signed-on terminals. */
  sessions: Record<string, { pik: string; mak: string }>;
}

export interface BankExchange {
  mti: string;
  /** Which operation of the profile the request was; null when none matches. */
  op: Operation | null;
  stan: string | null;
  terminalId: string | null;
  amount: number | null;
  /** Field 39 of a reversal: why the terminal reverses (98 no answer, A0 bad MAC, 96 not completed, 06 other). */
  reason: string | null;
  /** What the bank decided; null when the connection was dropped before deciding. */
  responseCode: string | null;
  answered: boolean;
  time: string;
}

export interface BankBehaviour {
  latencyMs: number;
  /** Answer every transfer and sign-on with this response code instead of processing it (a sign-on refused: no session). */
  decline: string | null;
  silence: boolean;
  badMac: boolean;
  dropConnection: boolean;
}

export interface BankHostOptions {
  profile: BankProfile;
  /** The terminal master key shared with the gateway. */
  tmk: Buffer;
  accounts?: BankAccount[];
  /** Starting state (accounts, applied transfers, sessions); wins over `accounts`. */
  state?: BankHostState;
  /** JSON file written on each change; when it exists at start-up it wins over `state` and `accounts`. */
  statePath?: string;
  host?: string;
  port?: number;
  log?: Logger;
  /** The bank's own clock (fields 12 and 13, the reconciliation file's days), an IANA zone; default Asia/Shanghai. */
  timeZone?: string;
}

const NORMAL: BankBehaviour = { latencyMs: 0, decline: null, silence: false, badMac: false, dropConnection: false };


/** `request` fires as each request is logged, before it is applied or answered: what a test waits on. */
export class BankHostSimulator extends EventEmitter<{ request: [exchange: BankExchange] }> {
  /** Every request received, in order. */
  readonly log: BankExchange[] = [];
  readonly #o: BankHostOptions;
  readonly #codec: Codec;
  readonly #logger: Logger;
  readonly #state: BankHostState;
  readonly #sockets = new Set<Socket>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #server: Server | null = null;
  /** Misbehaviours still to come, in order; each for `remaining` requests (null: for good), of `ops` only if given. */
  #behaviours: Array<{ behaviour: BankBehaviour; remaining: number | null; ops: Operation[] | null }> = [];

  constructor(options: BankHostOptions) {
    super();
    this.#o = options;
    this.#codec = createCodec(options.profile);
    this.#logger = options.log ?? silentLogger;
    const saved = options.statePath && existsSync(options.statePath)
      ? (JSON.parse(readFileSync(options.statePath, 'utf8')) as BankHostState)
      : null;
    this.#state = structuredClone(saved ?? options.state ?? { accounts: options.accounts ?? [], applied: [], sessions: {} });
  }

  async start(): Promise<void> {
    const server = createServer((socket) => this.#accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#o.port ?? 0, this.#o.host ?? '127.0.0.1', () => resolve());
    });
    this.#server = server;
  }

  async stop(): Promise<void> {
    for (const t of this.#timers) clearTimeout(t);
    for (const s of this.#sockets) s.destroy();
    const server = this.#server;
    this.#server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  address(): { host: string; port: number } {
    if (!this.#server) throw new QuancunError('INTERNAL', 'the bank simulator is not started');
    const a = this.#server.address() as AddressInfo;
    return { host: a.address, port: a.port };
  }

  balanceOf(pan: string): number | undefined {
    return this.#state.accounts.find((a) => a.pan === pan)?.balance;
  }

  /**
   * Misbehave for the next `count` requests (all requests when no count), then behave again. With `ops`, only those
   * operations misbehave (and count); the others are answered normally.
   */
  setBehaviour(behaviour: Partial<BankBehaviour>, options: { count?: number; ops?: Operation[] } = {}): void {
    this.#behaviours = [];
    this.queueBehaviour(behaviour, options);
  }

  /** Misbehave this way once the behaviours set or queued before have run out. */
  queueBehaviour(behaviour: Partial<BankBehaviour>, options: { count?: number; ops?: Operation[] } = {}): void {
    this.#behaviours.push({ behaviour: { ...NORMAL, ...behaviour }, remaining: options.count ?? null, ops: options.ops ?? null });
  }

  state(): BankHostState {
    return structuredClone(this.#state);
  }

  #accept(socket: Socket): void {
    this.#sockets.add(socket);
    socket.on('close', () => this.#sockets.delete(socket));
    socket.on('error', (err) => this.#logger.debug('bank simulator connection error', { error: err }));
    const send = attachIsoSocket(socket, this.#o.profile, this.#codec, 'server', {
      message: (msg, body) => this.#handle(socket, send, msg, body),
      error: (err) => this.#logger.warn('bank simulator received a bad message', { error: err }),
    });
  }

  #nextBehaviour(op: Operation | undefined): BankBehaviour {
    const head = this.#behaviours[0];
    if (!head || (head.ops && (!op || !head.ops.includes(op)))) return NORMAL;
    if (head.remaining !== null && --head.remaining <= 0) this.#behaviours.shift();
    return head.behaviour;
  }

  #handle(socket: Socket, send: (body: Buffer) => void, msg: IsoMessage, body: Buffer): void {
    const { profile } = this.#o;
    const op = OPERATIONS.find((o) => matchesTemplate(profile.templates[o].request, msg));
    const behaviour = this.#nextBehaviour(op);
    const vars = op ? readMessage(profile.templates[op].request, msg) : {};
    const entry: BankExchange = {
      mti: msg.mti,
      op: op ?? null,
      stan: typeof vars.stan === 'string' ? vars.stan : null,
      terminalId: typeof vars.terminalId === 'string' ? vars.terminalId : null,
      amount: typeof vars.amount === 'string' ? Number(vars.amount) : null,
      reason: (op === 'reversal' || op === 'standingReversal') && typeof vars.reason === 'string' ? vars.reason : null,
      responseCode: null,
      answered: false,
      time: new Date().toISOString(),
    };
    this.log.push(entry);
    this.emit('request', entry);
    if (!op || behaviour.dropConnection) {
      socket.destroy();
      return;
    }
    const template = profile.templates[op];
    const session = this.#session(String(vars.terminalId));
    const parts = template.mac ? macParts(profile.mac, body, msg) : null;
    const macOk = !template.mac || (session !== null && parts !== null &&
      computeMac(profile.mac.algorithm, session.mak, parts.data).equals(parts.mac));
    const answer = macOk ? this.#apply(op, vars, behaviour) : { responseCode: 'A0' };
    entry.responseCode = String(answer.responseCode);
    if (behaviour.silence) return;

    const now = this.#clock(new Date());
    const reply = buildMessage(template.response, profile.fields, {
      ...vars,
      hostDate: now.dateDigits.slice(4), // MMDD
      hostTime: now.timeDigits,
      ...answer,
    });
    const mak = this.#session(String(vars.terminalId))?.mak;
    const out = template.mac && mak
      ? encodeWithMac(this.#codec, profile.mac, reply, (d) => computeMac(profile.mac.algorithm, mak, d))
      : this.#codec.encode(reply);
    if (behaviour.badMac) out[out.length - 1]! ^= 0x01;
    const deliver = () => {
      if (socket.destroyed) return;
      entry.answered = true;
      send(out);
    };
    if (!behaviour.latencyMs) return deliver();
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      deliver();
    }, behaviour.latencyMs);
    this.#timers.add(timer);
  }

  #session(terminalId: string): WorkingKeys | null {
    const s = this.#state.sessions[terminalId];
    return s ? { pik: Buffer.from(s.pik, 'hex'), mak: Buffer.from(s.mak, 'hex') } : null;
  }

  #apply(op: Operation, vars: Vars, behaviour: BankBehaviour): Vars {
    switch (op) {
      case 'signOn':
        return behaviour.decline ? { responseCode: behaviour.decline } : this.#signOn(String(vars.terminalId));
      case 'signOff':
        delete this.#state.sessions[String(vars.terminalId)];
        this.#save();
        return { responseCode: '00' };
      case 'echo':
        return { responseCode: '00' };
      case 'settlement':
        return this.#settle(vars);
      case 'batchUpload':
        return this.#upload(vars);
      case 'transfer':
      case 'standingTransfer':
        return behaviour.decline ? { responseCode: behaviour.decline } : this.#transfer(vars, op === 'standingTransfer');
      case 'reversal':
      case 'standingReversal':
        return this.#reversal(vars);
    }
  }

  #signOn(terminalId: string): Vars {
    const { keyLength } = this.#o.profile.workingKeys;
    const keys = { pik: randomBytes(keyLength), mak: randomBytes(keyLength) };
    this.#state.sessions[terminalId] = { pik: keys.pik.toString('hex'), mak: keys.mak.toString('hex') };
    this.#save();
    return { responseCode: '00', workingKeys: wrapWorkingKeys(this.#o.tmk, keys, this.#o.profile.workingKeys) };
  }

  #find(vars: Vars): AppliedTransfer | undefined {
    return this.#state.applied.find((a) => a.terminalId === vars.terminalId && a.stan === vars.stan);
  }

  #transfer(vars: Vars, standing: boolean): Vars {
    if (this.#find(vars)) return { responseCode: '94' };
    const pan = String(vars.pan);
    const amount = Number(vars.amount);
    const account = this.#state.accounts.find((a) => a.pan === pan);
    if (!account) return { responseCode: '14' };
    if (standing) {
      if (!account.standingAgreement) return { responseCode: '57' };
    } else {
      const pik = this.#session(String(vars.terminalId))!.pik;
      if (!Buffer.isBuffer(vars.pinBlock) || !verifyPinBlock(pik, vars.pinBlock, pan12FromPan(pan), account.pin)) return { responseCode: '55' };
    }
    if (account.balance < amount) return { responseCode: '51' };
    account.balance -= amount;
    const bankRef = String(this.#state.applied.length + 1).padStart(12, '0');
    this.#state.applied.push({
      terminalId: String(vars.terminalId), stan: String(vars.stan), pan, amount, bankRef, time: new Date().toISOString(), status: 'debited',
      batch: String(vars.batch), campusRef: String(vars.campusRef ?? ''),
    });
    this.#save();
    return { responseCode: '00', bankRef };
  }

  #reversal(vars: Vars): Vars {
    const original = this.#find(vars);
    if (!original) {
      this.#state.applied.push({
        terminalId: String(vars.terminalId), stan: String(vars.stan), pan: String(vars.pan), amount: Number(vars.amount),
        bankRef: '', time: new Date().toISOString(), status: 'reversal-only',
      });
      this.#save();
      return { responseCode: '25' };
    }
    if (original.status === 'reversal-only') return { responseCode: '25' };
    if (original.pan !== vars.pan || original.amount !== Number(vars.amount)) return { responseCode: '25' };
    if (original.status === 'debited') {
      this.#state.accounts.find((a) => a.pan === original.pan)!.balance += original.amount;
      original.status = 'reversed';
      original.reversedAt = new Date().toISOString();
      this.#save();
    }
    return { responseCode: '00' };
  }

  #settle(vars: Vars): Vars {
    const terminalId = String(vars.terminalId);
    const batch = String(vars.batch);
    const mine = this.#state.applied.filter((a) => a.terminalId === terminalId && a.batch === batch && a.status === 'debited');
    const debitAmount = mine.reduce((sum, a) => sum + a.amount, 0);
    const balanced = Number(vars.debitAmount) === debitAmount && Number(vars.debitCount) === mine.length &&
      Number(vars.creditAmount) === 0 && Number(vars.creditCount) === 0;
    const settlements = (this.#state.settlements ??= []);
    const previous = settlements.findIndex((s) => s.terminalId === terminalId && s.batch === batch);
    if (previous >= 0) settlements.splice(previous, 1);
    settlements.push({
      terminalId, batch, result: balanced ? '1' : '2', totals: { debitAmount, debitCount: mine.length }, uploads: [], at: new Date().toISOString(),
    });
    this.#save();
    return { responseCode: '00', settleResult: balanced ? '1' : '2' };
  }

  #upload(vars: Vars): Vars {
    const settlement = this.#state.settlements?.find((s) => s.terminalId === vars.terminalId && s.batch === vars.batch);
    if (!settlement) return { responseCode: '12' };
    if (!settlement.uploads.some((u) => u.stan === vars.stan)) {
      settlement.uploads.push({ stan: String(vars.stan), pan: String(vars.pan), amount: Number(vars.amount), bankRef: String(vars.bankRef) });
      this.#save();
    }
    return { responseCode: '00' };
  }

  /** The settlements this bank recorded, newest last. */
  settlements(): Settlement[] {
    return structuredClone(this.#state.settlements ?? []);
  }

  /** The bank's wall clock at `at` (an instant or its ISO string). */
  #clock(at: Date | string): CampusTime {
    return campusTime(new Date(at), this.#o.timeZone ?? DEFAULT_TIME_ZONE);
  }

  /**
   * The day's lines of the reconciliation file from the bank's log (days and times on the bank's clock): every transfer debited that day and
   * every reversal applied that day. A reversal of a transfer the bank never saw moved nothing and is not listed.
   * The campus account is left blank: the caller fills it from the binding (签约) it knows.
   */
  dayRecords(date: string): BankFileRecord[] {
    const out: BankFileRecord[] = [];
    for (const a of this.#state.applied) {
      if (a.status === 'reversal-only') continue;
      const line = (kind: BankFileRecord['kind'], at: CampusTime): BankFileRecord => ({
        kind, date: at.dateDigits, time: at.timeDigits, terminalId: a.terminalId,
        campusAccount: '', pan: a.pan, stan: Number(a.stan), bankRef: a.bankRef,
        campusRef: a.campusRef ?? '', amount: a.amount,
      });
      const sent = this.#clock(a.time);
      if (sent.date === date) out.push(line('transfer', sent));
      const reversed = a.reversedAt ? this.#clock(a.reversedAt) : undefined;
      if (reversed?.date === date) out.push(line('reversal', reversed));
    }
    return out;
  }

  /** Writes `records` (by default the day's) as the profile's reconciliation file in `dir`; returns its path. */
  writeDayFile(dir: string, date: string, terminalId: string, records = this.dayRecords(date)): string {
    const layout = this.#o.profile.reconciliation;
    const path = join(dir, bankFileName(layout, date, terminalId));
    mkdirSync(dir, { recursive: true });
    writeFileSync(path, formatBankFile(layout, records));
    return path;
  }

  #save(): void {
    const path = this.#o.statePath;
    if (!path) return;
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(`${path}.tmp`, JSON.stringify(this.#state, null, 2));
    renameSync(`${path}.tmp`, path);
  }
}
