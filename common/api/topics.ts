/**
 * The MQTT API between kiosks and the front-end gateway (圈存前置): every topic and every payload, declared once.
 * Validators, TypeScript types and docs/mqtt-api.md (scripts/gen-docs.ts) all come from here.
 * To add an operation or an event kind, add one entry to `operations` or `events`; nothing else changes.
 */
import { z } from 'zod';
import { ERROR_CODES, QuancunError, type ErrorCode } from '../errors.ts';

export const ROOT = 'quancun/v1';

// ---------------------------------------------------------------------------------------------------------------
// Field types

const hex = (chars: number, what: string) =>
  z.string().regex(new RegExp(`^[0-9A-F]{${chars}}$`)).describe(`${what}: ${chars} uppercase hex digits`);

const isoTime = z.iso.datetime().describe('UTC time, ISO 8601 (e.g. 2025-09-01T08:30:00.000Z)');
const fen = z.int().min(0).describe('amount in fen (1/100 yuan)');
const txnId = z.string().min(1).max(64).describe('kiosk-assigned transaction id, unique per kiosk');
const count = z.int().min(0);
const pem = (what: string) => z.string().regex(/^-----BEGIN [A-Z ]+-----\r?\n[\s\S]+-----END [A-Z ]+-----\s*$/).max(8192).describe(`${what}, PEM`);
const asn = hex(20, 'card application serial number (never logged)');

export const errorCodeSchema = z.enum(Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]]);
/** A code that may come from a newer peer or a device: shaped like an ErrorCode, not necessarily a known one. */
const errorCodeLike = z.string().regex(/^[A-Z][A-Z0-9_]*$/).max(64);

/** One MQTT topic level: no separators or wildcards, so an id can never widen a subscription. */
export const topicLevelSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/);

// ---------------------------------------------------------------------------------------------------------------
// Operations: kiosk request -> gateway response

interface OpSpec<Req extends z.ZodType, Res extends z.ZodType> {
  summary: string;
  request: Req;
  response: Res;
  example: { request: z.input<Req>; response: z.input<Res> };
}

/** Keeps each entry's schema types precise while checking that its example fits them. */
const op = <Req extends z.ZodType, Res extends z.ZodType>(spec: OpSpec<Req, Res>) => spec;

const loadInit = z.object({
  oldBalance: fen,
  onlineCounter: z.int().min(0).max(0xffff),
  keyVersion: z.int().min(0).max(0xff),
  algId: z.int().min(0).max(0xff),
  random: hex(8, 'card random'),
  mac1: hex(8, 'MAC1'),
}).describe('from the card\'s INITIALIZE FOR LOAD response');

const hostDate = z.string().regex(/^\d{4}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])$/).describe('YYYYMMDD');
const hostTime = z.string().regex(/^([01]\d|2[0-3])[0-5]\d[0-5]\d$/).describe('hhmmss');

/** Who owes a card a credit the gateway holds for it: a torn load, a subsidy, a fee refund, a batch transfer (gateway/credits/). */
export const creditSources = ['load', 'subsidy', 'fee-refund', 'transfer'] as const;
export type CreditSource = (typeof creditSources)[number];
const creditSourceSchema = z.enum(creditSources);

/**
 * The gateway's states of a load, as `txn.status` reports them and as the kiosk's recovery branches on them. The
 * gateway's state machine (gateway/loads/gateway-load-machine.ts) is typed by this list, so the two cannot drift.
 */
export const gatewayLoadStates = {
  received: 'request taken in; nothing sent to the bank',
  rejected: 'refused before the bank was asked (unknown card, not bound, MAC1, limits): nothing debited',
  'bank-pending': 'the transfer may have reached the bank',
  declined: 'the bank refused: nothing debited',
  approved: 'the bank debited; provisional posting made',
  'mac2-issued': 'MAC2 handed to the kiosk: the card may credit itself from here on (again on a fresh MAC2, `load.recredit`)',
  completed: 'the TAC verified; final posting made',
  'tac-failed': 'the card answered with a TAC that does not verify: held for an operator',
  reversing: 'the transfer\'s outcome is unknown or must be undone: a reversal is owed',
  reversed: 'the bank confirmed the reversal',
  'pending-load': 'the card could not be written: the amount waits (圈存未领) for any kiosk to write it',
} as const;
export type GatewayLoadState = keyof typeof gatewayLoadStates;
export const gatewayLoadStateSchema = z.enum(Object.keys(gatewayLoadStates) as [GatewayLoadState, ...GatewayLoadState[]]);

/**
 * The gateway's states of a fee paid from the purse (缴费, docs/fees.md); gateway/fees/fee-machine.ts is typed by it.
 */
export const gatewayFeeStates = {
  'mac1-issued': 'MAC1 handed to the kiosk: the card may debit itself from here on',
  'not-debited': 'the card\'s offline counter showed the debit did not apply (`fee.abandon`): nothing moved',
  debited: 'the card\'s MAC2 and TAC verified; posting purse -> biller held',
  paying: 'a payment to the biller may be under way (journaled before each try, with the same payment id); a biller that has not answered a payment it may have applied is asked again until it does',
  paid: 'the biller confirmed the payment; posting final',
  'refund-owed': 'the biller refused, or could not be reached at any try: the amount is owed back to the card as a pending credit (source fee-refund)',
  'proof-failed': 'the card answered with a MAC2 or TAC that does not verify: held for an operator',
} as const;
export type GatewayFeeState = keyof typeof gatewayFeeStates;

const billerId = z.string().regex(/^[a-z0-9-]+$/).max(32).describe('a biller id from the gateway config (`billers[].id`)');
const billerAccount = z.string().regex(/^[A-Za-z0-9-]{1,32}$/).describe('the room number or account at the biller, as typed on the keypad');

/**
 * What a campus record (`records.query`) is: one kind per money flow. A flow that moves money adds its kind here
 * (subsidy, fee, transfer...) and the kiosk's wording for it in screens/strings.ts.
 */
export const recordKinds = {
  load: 'a load from the bound bank account (圈存); `kioskId` is where it was started',
  collect: 'a pending load (圈存未领) written onto the card; `txnId` is that load\'s, `kioskId` where it was written',
  fee: 'a fee paid from the purse to a biller (缴费); `kioskId` is where it was paid',
  // Each campus-funded credit's source (creditSources but `load`) is a kind: 查询 lists every owed credit by its source.
  subsidy: 'a subsidy the campus issued, written onto the card (补助领取); `kioskId` is where it was written',
  'fee-refund': 'a fee the biller was not paid, owed back to the card and written at a tap; `txnId` is the refund\'s (`<fee id>-refund`)',
  transfer: 'a batch transfer\'s approval, written onto the card; `kioskId` is where it was written',
} as const;
export type RecordKind = keyof typeof recordKinds;
export const recordKindSchema = z.enum(Object.keys(recordKinds) as [RecordKind, ...RecordKind[]]);

/** Where a campus record stands, in the cardholder's terms: every flow's states map onto these. */
export const recordStates = {
  done: 'the money is where it was meant to go',
  owed: 'the card is owed it: written at the card\'s next tap at any kiosk (see `pending`)',
  'in-progress': 'not finished yet; the gateway brings it to an end',
  refused: 'refused (by the campus, the bank or a biller): no money moved, or a fee\'s amount owed back (see `fee-refund`)',
  reversed: 'the bank debit was undone',
  held: 'held for the service centre (the card\'s proof did not verify)',
} as const;
export type RecordState = keyof typeof recordStates;
export const recordStateSchema = z.enum(Object.keys(recordStates) as [RecordState, ...RecordState[]]);

/** How long after a kiosk's `card.lookup` of a card that kiosk may read the card's records (`records.query`). */
export const RECORDS_QUERY_WINDOW_SECONDS = 300;

export const operations = {
  'card.lookup': op({
    summary: 'Who holds this card, where it loads from, its limits and loads waiting to be written to it.',
    request: z.object({ asn }),
    response: z.object({
      holder: z.object({ name: z.string(), staffNo: z.string() }),
      campusAccount: z.string(),
      bound: z.boolean().describe('true when a bank account is bound to the card'),
      bankId: z.string().optional(),
      bankAccountMasked: z.string().optional().describe('e.g. 6222 **** **** 1234'),
      pinPan12: z.string().regex(/^\d{12}$/).optional().describe('12 account digits for the PIN block; never logged'),
      limits: z.object({
        maxLoad: fen.describe('largest single load, fen'),
        purseLimit: fen.describe('purse ceiling, fen'),
        rePresentSeconds: z.int().min(1).describe('how long to ask for the same card back after it left during the credit'),
      }),
      pendingLoads: z.array(z.object({
        pendingId: txnId.describe('the gateway\'s id of the owed credit (for a load, the transaction id whose credit did not finish)'),
        source: creditSourceSchema.optional().describe('who owes it: a torn load (also when absent, as from a gateway before owed credits), a subsidy, a fee refund, a batch transfer'),
        amount: fen,
        onlineCounter: z.int().min(0).max(0xffff).optional()
          .describe('the card\'s online counter before the credit last issued: one more on the card means it was applied; absent when no MAC2 was ever issued for it'),
        oldBalance: fen.optional().describe('the card balance that credit started from; plus the amount, the balance its TAC covers; absent with onlineCounter'),
        label: z.string().max(64).optional().describe('what the campus wrote for it, shown to the cardholder (a subsidy\'s reason and period)'),
        expires: z.iso.date().optional().describe('the last campus day it can be collected; after it, it goes back to the campus'),
      })).describe('credits the card is owed (圈存未领, 补助…): the kiosk writes them onto the card, at its next tap or when the cardholder picks them'),
      feesInDoubt: z.array(z.object({
        txnId: txnId.describe('the fee\'s id (the kiosk that began it numbered it)'),
        billerId,
        amount: fen,
        offlineCounter: z.int().min(0).max(0xffff).describe('the card\'s offline counter the purchase began from: the same on the card means it did not apply, one more that it did'),
      })).optional().describe('fees whose MAC1 was issued and whose debit nobody has decided (a torn purchase whose card did not come back): '
        + 'the kiosk decides each at the tap from the card\'s offline counter, before anything else (`fee.confirm` or `fee.abandon`); absent from an older gateway'),
    }),
    example: {
      request: { asn: '10000000000000012345' },
      response: {
        holder: { name: '张三', staffNo: '2023010101' },
        campusAccount: '100012345',
        bound: true,
        bankId: 'ICBC',
        bankAccountMasked: '6222 **** **** 1234',
        pinPan12: '000012345678',
        limits: { maxLoad: 50000, purseLimit: 100000, rePresentSeconds: 30 },
        pendingLoads: [
          { pendingId: 'JX-A101-000041', source: 'load', amount: 5000, onlineCounter: 16, oldBalance: 2350 },
          { pendingId: 'SUB-7F3A9C21D0E4-0003', source: 'subsidy', amount: 15000, label: '伙食补助 2026-11', expires: '2026-12-31' },
        ],
        feesInDoubt: [{ txnId: 'JX-A102-000007', billerId: 'dorm-power', amount: 1500, offlineCounter: 7 }],
      },
    },
  }),
  'load.authorize': op({
    summary: 'Debit the bound bank account and get MAC2 to credit the card purse (load INITIALIZE already done).',
    request: z.object({
      txnId,
      asn,
      amount: z.int().min(1).describe('fen'),
      terminalId: hex(12, 'terminal id'),
      card: loadInit,
      pinBlock: hex(16, 'encrypted PIN block from the PIN pad; never logged'),
    }),
    response: z.object({ mac2: hex(8, 'MAC2'), hostDate, hostTime, bankRef: z.string().min(1) }),
    example: {
      request: {
        txnId: 'JX-A101-000042',
        asn: '10000000000000012345',
        amount: 10000,
        terminalId: '000000000101',
        card: { oldBalance: 2350, onlineCounter: 17, keyVersion: 1, algId: 0, random: '1A2B3C4D', mac1: '9F8E7D6C' },
        pinBlock: '0123456789ABCDEF',
      },
      response: { mac2: 'A1B2C3D4', hostDate: '20250901', hostTime: '083005', bankRef: '250901000123' },
    },
  }),
  'load.confirm': op({
    summary: 'The card was credited: report its TAC so the gateway can post the load as final.',
    request: z.object({ txnId, tac: hex(8, 'TAC'), newBalance: fen, onlineCounter: z.int().min(0).max(0xffff) }),
    response: z.object({ posting: z.literal('final'), tacVerified: z.boolean() }),
    example: {
      request: { txnId: 'JX-A101-000042', tac: '5E6F7A8B', newBalance: 12350, onlineCounter: 18 },
      response: { posting: 'final', tacVerified: true },
    },
  }),
  'load.recredit': op({
    summary: 'A credit that did not reach the card (its online counter did not move): a fresh MAC2 for the same debit, '
      + 'never a second one. Also how any kiosk writes a pending load (圈存未领) onto the card.',
    request: z.object({ txnId, terminalId: hex(12, 'terminal id of the kiosk writing the card now'), card: loadInit }),
    response: z.object({ mac2: hex(8, 'MAC2'), hostDate, hostTime }),
    example: {
      request: {
        txnId: 'JX-A101-000042',
        terminalId: '000000000102',
        card: { oldBalance: 2350, onlineCounter: 17, keyVersion: 1, algId: 0, random: '5A6B7C8D', mac1: '1F2E3D4C' },
      },
      response: { mac2: 'B2C3D4E5', hostDate: '20250901', hostTime: '083112' },
    },
  }),
  'load.park': op({
    summary: 'The card left during the credit and did not come back in time: keep the amount as a pending load (圈存未领).',
    request: z.object({ txnId }),
    response: z.object({
      state: gatewayLoadStateSchema.extract(['pending-load', 'completed']).describe('completed: another kiosk already wrote it onto the card'),
    }),
    example: { request: { txnId: 'JX-A101-000042' }, response: { state: 'pending-load' } },
  }),
  'load.abandon': op({
    summary: 'The card was not credited: undo or park the debit. The outcome says what happened to the money.',
    request: z.object({ txnId, reason: errorCodeLike }),
    response: z.object({ outcome: z.enum(['not-debited', 'reversed', 'reversal-pending', 'pending-load']) }),
    example: {
      request: { txnId: 'JX-A101-000042', reason: 'CARD_REMOVED' },
      response: { outcome: 'reversed' },
    },
  }),
  'fee.lookup': op({
    summary: 'Whom a fee would pay: the biller looks the room or account up, for the cardholder to confirm. Moves nothing.',
    request: z.object({ billerId, account: billerAccount }),
    response: z.object({
      billerId,
      name: z.object({ zh: z.string(), en: z.string() }),
      account: billerAccount,
      holder: z.string().describe('as the biller knows the account (name shown for confirmation)'),
      room: z.string().optional().describe('for dorm electricity: the room as the biller names it'),
      maxAmount: fen.describe('largest single fee to this biller'),
    }),
    example: {
      request: { billerId: 'dorm-power', account: '3402' },
      response: { billerId: 'dorm-power', name: { zh: '宿舍电费', en: 'Dorm electricity' }, account: '3402', holder: '张三', room: '东区3号楼402', maxAmount: 50000 },
    },
  }),
  'fee.begin': op({
    summary: 'The card\'s INITIALIZE FOR PURCHASE answer: the gateway, as the PSAM, journals the fee and returns MAC1 '
      + 'with the terminal transaction sequence, date and time DEBIT FOR PURCHASE carries. Refusals move nothing.',
    request: z.object({
      txnId,
      asn,
      billerId,
      account: billerAccount,
      amount: z.int().min(1).describe('fen'),
      terminalId: hex(12, 'terminal id'),
      card: z.object({
        balance: fen,
        offlineCounter: z.int().min(0).max(0xffff),
        keyVersion: z.int().min(0).max(0xff),
        algId: z.int().min(0).max(0xff),
        random: hex(8, 'card random'),
      }).describe('from the card\'s INITIALIZE FOR PURCHASE response'),
    }),
    response: z.object({ mac1: hex(8, 'MAC1'), terminalTxSeq: z.int().min(1).max(0xffffffff), hostDate, hostTime }),
    example: {
      request: {
        txnId: 'JX-A101-000043', asn: '10000000000000012345', billerId: 'dorm-power', account: '3402', amount: 1500,
        terminalId: '000000000101', card: { balance: 12350, offlineCounter: 7, keyVersion: 1, algId: 0, random: '0A1B2C3D' },
      },
      response: { mac1: 'C1D2E3F4', terminalTxSeq: 12, hostDate: '20250901', hostTime: '083301' },
    },
  }),
  'fee.confirm': op({
    summary: 'The card debited itself: its TAC and MAC2 (from DEBIT FOR PURCHASE or GET TRANSACTION PROVE) are verified, '
      + 'then the biller is paid. `refund-owed`: the biller refused, or could not be reached at any try, and the amount is '
      + 'owed back to the card (listed in `card.lookup` as a pending credit). `paying`: the biller did not answer a payment '
      + 'it may have applied; the gateway asks it again until it answers, and the fee ends paid or owed back (then listed '
      + 'at a later tap). Repeating it answers the state it is in. Another kiosk than the '
      + 'fee\'s may send it for a fee `card.lookup` listed in `feesInDoubt` there, within the records window of that lookup.',
    request: z.object({ txnId, tac: hex(8, 'TAC'), mac2: hex(8, 'MAC2') }),
    response: z.object({
      state: z.enum(['paid', 'refund-owed', 'paying']),
      receiptNo: z.string().optional().describe('the biller\'s receipt number, when paid'),
      refundId: txnId.optional().describe('the pending credit that brings the amount back, when owed'),
      code: errorCodeSchema.optional().describe('why the biller was not paid'),
    }),
    example: {
      request: { txnId: 'JX-A101-000043', tac: '11223344', mac2: '55667788' },
      response: { state: 'paid', receiptNo: 'R00000012' },
    },
  }),
  'fee.abandon': op({
    summary: 'The debit did not reach the card: a fresh INITIALIZE FOR PURCHASE shows its offline counter where MAC1 '
      + 'was issued (or DEBIT was never sent). The fee ends with nothing moved; its MAC1 died with that card session. '
      + 'Another kiosk than the fee\'s may send it, with the counter it read, for a fee its `card.lookup` listed in `feesInDoubt`.',
    request: z.object({ txnId, offlineCounter: z.int().min(0).max(0xffff).optional().describe('the card\'s counter now, when read (required from another kiosk)') }),
    response: z.object({ state: z.literal('not-debited') }),
    example: { request: { txnId: 'JX-A101-000043', offlineCounter: 7 }, response: { state: 'not-debited' } },
  }),
  'txn.status': op({
    summary: 'What the gateway knows about a transaction (recovery after a restart or a lost response).',
    request: z.object({ txnId }),
    response: z.object({
      txnId,
      state: gatewayLoadStateSchema.describe('see Gateway load states below'),
      amount: fen,
      final: z.boolean(),
      mac2: hex(8, 'MAC2').optional(),
      hostDate: z.string().regex(/^\d{8}$/).optional(),
      hostTime: z.string().regex(/^\d{6}$/).optional(),
    }),
    example: {
      request: { txnId: 'JX-A101-000042' },
      response: {
        txnId: 'JX-A101-000042',
        state: 'mac2-issued',
        amount: 10000,
        final: false,
        mac2: 'A1B2C3D4',
        hostDate: '20250901',
        hostTime: '083005',
      },
    },
  }),
  'records.query': op({
    summary: 'The card\'s campus records (查询), newest first, a page at a time, and what the card is owed. Answered only for '
      + `a card this kiosk looked up (\`card.lookup\`) in the last ${RECORDS_QUERY_WINDOW_SECONDS / 60} minutes: `
      + '`QUERY_CARD_NOT_PRESENTED` otherwise, so a kiosk cannot read a card that was not tapped on it.',
    request: z.object({
      asn,
      page: z.int().min(1).describe('from 1'),
      pageSize: z.int().min(1).max(20),
    }),
    response: z.object({
      total: count.describe('records of the card in all'),
      page: z.int().min(1),
      pageSize: z.int().min(1),
      items: z.array(z.object({
        txnId,
        kind: recordKindSchema.describe('see Record kinds below'),
        amount: fen,
        at: isoTime.describe('when it happened: a load when it was started, a collect when the card was written'),
        kioskId: topicLevelSchema.describe('where'),
        state: recordStateSchema.describe('see Record states below'),
        card: z.string().describe('the card\'s number, masked (first 6 and last 4)'),
      })).describe('this page, newest first'),
      pending: z.array(z.object({
        txnId,
        kind: recordKindSchema,
        amount: fen,
        since: isoTime.describe('since when the card is owed it'),
        kioskId: topicLevelSchema.optional().describe('where it began; absent for a credit the campus issued (a subsidy)'),
      })).describe('what the card is owed (圈存未领): written onto it at its next tap at any kiosk'),
    }),
    example: {
      request: { asn: '10000000000000012345', page: 1, pageSize: 5 },
      response: {
        total: 2, page: 1, pageSize: 5,
        items: [
          { txnId: 'JX-A101-000041', kind: 'collect', amount: 5000, at: '2025-09-01T09:10:00.000Z', kioskId: 'JX-A102', state: 'done', card: '100000**********2345' },
          { txnId: 'JX-A101-000041', kind: 'load', amount: 5000, at: '2025-09-01T08:20:00.000Z', kioskId: 'JX-A101', state: 'done', card: '100000**********2345' },
        ],
        pending: [],
      },
    },
  }),
};

export type Operations = typeof operations;
export type OpName = keyof Operations;
export type OpRequest<O extends OpName> = z.output<Operations[O]['request']>;
export type OpResponse<O extends OpName> = z.output<Operations[O]['response']>;
export const opNames = Object.keys(operations) as OpName[];

export function isOpName(value: string): value is OpName {
  return Object.hasOwn(operations, value);
}

// ---------------------------------------------------------------------------------------------------------------
// Envelopes

export const requestEnvelopeSchema = z.object({
  id: z.uuid().describe('fresh per request; the response carries it back'),
  kioskId: topicLevelSchema.describe('must equal the {kioskId} topic level'),
  op: z.enum(opNames as [OpName, ...OpName[]]),
  sentAt: isoTime,
  data: z.unknown().describe('the operation\'s request, see Operations'),
});

const okResponse = z.object({
  id: z.string().min(1),
  ok: z.literal(true),
  data: z.unknown().describe('the operation\'s response, see Operations'),
});
const errorResponse = z.object({
  id: z.string().min(1),
  ok: z.literal(false),
  error: z.object({ code: errorCodeSchema, message: z.string() }),
});
export const responseEnvelopeSchema = z.discriminatedUnion('ok', [okResponse, errorResponse]);

export interface RequestEnvelope<O extends OpName> {
  id: string;
  kioskId: string;
  op: O;
  sentAt: string;
  data: OpRequest<O>;
}
export type ErrorResponse = z.output<typeof errorResponse>;
export type ResponseEnvelope<O extends OpName> = { id: string; ok: true; data: OpResponse<O> } | ErrorResponse;

// ---------------------------------------------------------------------------------------------------------------
// Retained state and telemetry

export const kioskModes = ['starting', 'in-service', 'offline', 'out-of-service', 'maintenance'] as const;
export type KioskMode = (typeof kioskModes)[number];

/** A payload that is not an operation: its schema, what it means and an example that must validate. */
const messageSpec = <S extends z.ZodType>(spec: { summary: string; schema: S; example: z.input<S> }) => spec;

export const kioskStateSchema = z.object({
  online: z.boolean(),
  mode: z.enum(kioskModes),
  since: isoTime.describe('when this state began'),
  version: z.string(),
  reason: z.string().optional(),
  seq: z.int().min(0).describe('the connection\'s birth number: larger at every connect, across restarts too. The last will '
    + 'repeats the seq of the birth it belongs to, so an offline state with a lower seq than the newest online one is a stale '
    + 'will and is ignored'),
  note: z.string().max(200).optional().describe('the operator\'s reason, when an `out-of-service` command took the kiosk out of service'),
});
export type KioskState = z.output<typeof kioskStateSchema>;

export const bankLinkStates = ['signed-on', 'signed-off', 'unreachable'] as const;
export type BankLinkState = (typeof bankLinkStates)[number];

export const gatewayStateSchema = z.object({
  online: z.boolean(),
  since: isoTime.describe('when this state began'),
  version: z.string(),
  banks: z.record(z.string(), z.enum(bankLinkStates)).describe('by bank id'),
});
export type GatewayState = z.output<typeof gatewayStateSchema>;

export const states = {
  kiosk: messageSpec({
    summary: 'The kiosk\'s mode. Its last will is the same payload with online false, mode offline.',
    schema: kioskStateSchema,
    example: { online: true, mode: 'in-service', since: '2025-09-01T07:00:00.000Z', version: '0.1.0', seq: 42 },
  }),
  gateway: messageSpec({
    summary: 'Whether the gateway serves requests, and each bank link. Kiosks send requests only while it is online.',
    schema: gatewayStateSchema,
    example: { online: true, since: '2025-09-01T06:00:00.000Z', version: '0.1.0', banks: { ICBC: 'signed-on', BOC: 'signed-off' } },
  }),
};

export const events = {
  txn: messageSpec({
    summary: 'The final outcome of a transaction, as the kiosk journal recorded it; sent from the kiosk\'s durable outbox, '
      + 'in order, possibly more than once (the gateway keeps the first).',
    schema: z.object({
      txnId,
      kind: z.enum(['load', 'collect', 'fee', 'fee-check']).describe('collect: a pending load (圈存未领) written onto the card; fee: a fee paid from the purse; '
        + 'fee-check: a fee in doubt (`card.lookup` `feesInDoubt`) decided at a tap by the card\'s offline counter'),
      state: z.string().min(1),
      amount: fen,
      at: isoTime.describe('when the kiosk journaled this outcome'),
      code: errorCodeSchema.optional().describe('why it failed, when it did'),
      tac: hex(8, 'the card\'s TAC, when the card was credited').optional(),
      outcome: z.string().optional().describe('for an abandoned load, what the gateway said became of the money'),
      pendingId: txnId.optional().describe('for a collect: the owed credit whose amount it wrote (for a load, its transaction id)'),
      source: creditSourceSchema.optional().describe('for a collect: who owed the credit (absent: a load)'),
      feeId: txnId.optional().describe('for a fee-check: the fee it decided'),
    }),
    example: { txnId: 'JX-A101-000042', kind: 'load', state: 'completed', amount: 10000, at: '2025-09-01T08:30:07.000Z', tac: '5E6F7A8B' },
  }),
  fault: messageSpec({
    summary: 'A device fault seen by the kiosk.',
    schema: z.object({ device: z.string().min(1), code: errorCodeLike, message: z.string(), at: isoTime }),
    example: { device: 'card-reader', code: 'READER_UNAVAILABLE', message: 'reader unplugged', at: '2025-09-01T08:31:00.000Z' },
  }),
  'self-test': messageSpec({
    summary: 'The installer\'s self-test of the board at provisioning (`quancun provision`), published by the new kiosk identity; '
      + 'also kept in the kiosk\'s data dir as self-test.json and self-test.txt.',
    schema: z.object({
      boardSerial: z.string().min(1).max(16),
      at: isoTime.describe('when the self-test ended'),
      passed: z.boolean().describe('true when no check failed (skipped ones do not count)'),
      checks: z.array(z.object({
        check: z.enum(['reader', 'pin-pad', 'printer', 'touch', 'display', 'door', 'leds', 'temperature']),
        status: z.enum(['pass', 'fail', 'skipped']),
        code: errorCodeSchema.optional().describe('why it failed'),
        message: z.string().describe('what was seen, or why it was skipped'),
      })),
    }),
    example: {
      boardSerial: 'QC-B-000017', at: '2025-09-01T08:40:00.000Z', passed: false,
      checks: [
        { check: 'reader', status: 'pass', message: 'reader sim present; no card was put' },
        { check: 'printer', status: 'fail', code: 'PRINTER_PAPER_OUT', message: 'printer is out of paper' },
        { check: 'touch', status: 'skipped', message: '--no-touch' },
      ],
    },
  }),
  telemetry: messageSpec({
    summary: 'The kiosk\'s health, every `telemetry.intervalSeconds` (kiosk config, default 60) while it is connected. '
      + 'Never a card number, PIN or key.',
    schema: z.object({
      at: isoTime,
      uptimeSeconds: count.describe('since the kiosk process started'),
      version: z.string(),
      memory: z.object({ rssBytes: count, heapUsedBytes: count, heapTotalBytes: count }).describe('the process\'s resident set and V8 heap'),
      eventLoopDelayMs: z.object({ mean: z.number().min(0), p99: z.number().min(0), max: z.number().min(0) })
        .describe('event-loop delay since the previous telemetry (perf_hooks monitorEventLoopDelay)'),
      journal: z.object({ openRecords: count.describe('loads and collects not yet at a final state') }),
      outboxDepth: count.describe('reports waiting in the outbox for the broker'),
      devices: z.record(z.string(), z.object({ ok: z.boolean(), code: errorCodeLike.optional().describe('its fault, when not ok') }))
        .describe('each device the kiosk has (card-reader, pin-pad, receipt-printer, door, journal, ...), by name'),
      paper: z.enum(['ok', 'near-end', 'out', 'unknown', 'no-printer']).describe('unknown: the printer does not answer'),
      temperatureC: z.number().optional().describe('board temperature from the LM75; absent without one or when it did not answer'),
      door: z.enum(['open', 'closed', 'unknown']),
      today: z.object({
        date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).describe('the campus date (campus.timeZone) the counters run since the midnight of'),
        loads: z.object({ count, amount: fen }).describe('loads that put money on a card'),
        refusals: z.record(errorCodeLike, count).describe('loads that ended without a credit, by error code'),
        collects: z.object({ count, amount: fen }).describe('pending loads (圈存未领) written onto cards'),
      }),
      lastMoneyStep: z.object({
        kind: z.enum(['load', 'collect', 'fee']),
        step: z.string().min(1).describe('a load\'s step (pin-entry, card-init, bank, card-credit, confirming) or the state it ended in'),
        txnId: txnId.optional(),
        at: isoTime,
      }).optional().describe('the last money step since the process started'),
    }),
    example: {
      at: '2025-09-01T08:35:00.000Z', uptimeSeconds: 5700, version: '0.1.0',
      memory: { rssBytes: 98_000_000, heapUsedBytes: 31_000_000, heapTotalBytes: 42_000_000 },
      eventLoopDelayMs: { mean: 10.2, p99: 12.5, max: 30.1 },
      journal: { openRecords: 0 }, outboxDepth: 0,
      devices: { 'card-reader': { ok: true }, 'pin-pad': { ok: true }, 'receipt-printer': { ok: false, code: 'PRINTER_PAPER_OUT' }, door: { ok: true } },
      paper: 'out', temperatureC: 41.5, door: 'closed',
      today: { date: '2025-09-01', loads: { count: 12, amount: 86000 }, refusals: { PIN_WRONG: 2 }, collects: { count: 1, amount: 5000 } },
      lastMoneyStep: { kind: 'load', step: 'completed', txnId: 'JX-A101-000042', at: '2025-09-01T08:30:07.000Z' },
    },
  }),
  'fault-cleared': messageSpec({
    summary: 'A device reported at fault works again (a fault cleared while the link was down shows only in the state).',
    schema: z.object({ device: z.string().min(1), at: isoTime }),
    example: { device: 'card-reader', at: '2025-09-01T08:33:10.000Z' },
  }),
};

export type EventKind = keyof typeof events;
export type EventPayload<K extends EventKind> = z.output<(typeof events)[K]['schema']>;

export function isEventKind(value: string): value is EventKind {
  return Object.hasOwn(events, value);
}

// ---------------------------------------------------------------------------------------------------------------
// Announcements: gateway -> kiosks, retained (docs/announcements.md)

/**
 * The longest texts the kiosk screens show without cutting, in each language, at 800x480 and up (four titles on the
 * idle screen, one body on the announcements screen): test/unit/announcement-screens.test.ts draws them at these limits.
 */
export const announcementLimits = { title: { zh: 40, en: 80 }, body: { zh: 240, en: 500 }, bodyLineBreaks: 3 } as const;

/** No control characters: a title is one line; a body may break lines (`\n`), a few times. */
const noticeText = (max: number, lineBreaks: number) => z.string().trim().min(1).max(max)
  .regex(lineBreaks === 0 ? /^[^\p{Cc}]*$/u : /^(?:[^\p{Cc}]|\n)*$/u, lineBreaks === 0 ? 'one line, no control characters' : 'no control characters but line breaks')
  .refine((text) => text.split('\n').length - 1 <= lineBreaks, `at most ${lineBreaks} line breaks`);
const { title: titleMax, body: bodyMax, bodyLineBreaks } = announcementLimits;

/** The fields of an announcement, for the gateway's form to pick from; `announcementSchema` adds the window check. */
export const announcementFields = z.object({
  id: topicLevelSchema.describe('the gateway\'s id for it; equal to the {id} topic level'),
  title: z.object({ zh: noticeText(titleMax.zh, 0), en: noticeText(titleMax.en, 0) }),
  body: z.object({ zh: noticeText(bodyMax.zh, bodyLineBreaks), en: noticeText(bodyMax.en, bodyLineBreaks) }),
  from: isoTime.describe('shown from this time on'),
  until: isoTime.describe('and until this time (not included): the kiosk drops it then by its own clock, online or not'),
  publishedAt: isoTime,
});
export const announcementSchema = announcementFields.refine((a) => Date.parse(a.until) > Date.parse(a.from), { path: ['until'], message: 'must be after from' });
export type AnnouncementPayload = z.output<typeof announcementSchema>;

export const announcement = messageSpec({
  summary: 'A notice for the kiosk screens (idle and 公告), in both languages, shown from `from` until `until`. Retained; '
    + 'withdrawn or expired, the gateway clears it (an empty retained payload). One for every kiosk is published on the '
    + '`all` topic; one for a campus or for chosen kiosks is published once on each targeted kiosk\'s own topic, which only '
    + 'that kiosk may read. At every connection a kiosk drops what it holds and takes what the broker retains.',
  schema: announcementSchema,
  example: {
    id: 'A000017',
    title: { zh: '寒假期间圈存机暂停服务', en: 'Kiosks closed over the winter break' },
    body: { zh: '1月20日至2月16日圈存机暂停服务，请提前圈存。', en: 'From 20 January to 16 February the kiosks are closed; please load your card before.' },
    from: '2026-01-10T00:00:00.000Z',
    until: '2026-02-16T16:00:00.000Z',
    publishedAt: '2026-01-09T08:12:00.000Z',
  },
});

/** Where an announcement stands at `now`: before its window, in it, or past it. */
export function announcementWindow(a: { from: string; until: string }, now: number): 'scheduled' | 'live' | 'expired' {
  if (now < Date.parse(a.from)) return 'scheduled';
  return now < Date.parse(a.until) ? 'live' : 'expired';
}

export function parseAnnouncement(payload: unknown): AnnouncementPayload {
  return parse(announcementSchema, payload, 'announcement');
}

// ---------------------------------------------------------------------------------------------------------------
// Remote commands: gateway or operator -> kiosk, signed, answered on command-result with the command's id

export const logLevels = ['debug', 'info', 'warn', 'error'] as const;

/** A command is a request (its `args`) and a response (the `data` of its `done` result), declared as an operation is. */
const command = op;
const noArgs = z.object({}).strict();

export const commands = {
  'out-of-service': command({
    summary: 'Take the kiosk out of service, with a reason its out-of-service screen shows, until `in-service`; kept across restarts.',
    request: z.object({ reason: z.string().min(1).max(200).describe('shown on the screen and in the kiosk state (`note`)') }).strict(),
    response: z.object({ mode: z.enum(kioskModes) }),
    example: { request: { reason: '设备检修 Maintenance until 14:00' }, response: { mode: 'out-of-service' } },
  }),
  'in-service': command({
    summary: 'Lift an operator\'s out-of-service. The kiosk serves again unless a device fault or the link keeps it out (the mode says).',
    request: noArgs,
    response: z.object({ mode: z.enum(kioskModes) }),
    example: { request: {}, response: { mode: 'in-service' } },
  }),
  restart: command({
    summary: 'Stop the kiosk runtime gracefully (no new transaction, journal closed), then exit for systemd to start it again. '
      + 'The result is sent before the stop.',
    request: noArgs,
    response: z.object({ restarting: z.literal(true) }),
    example: { request: {}, response: { restarting: true } },
  }),
  resync: command({
    summary: 'Bring the journal\'s open records to an end with the gateway, flush the outbox and publish the state again.',
    request: noArgs,
    response: z.object({ openRecords: count, outboxDepth: count }).describe('what is still open or waiting afterwards'),
    example: { request: {}, response: { openRecords: 0, outboxDepth: 0 } },
  }),
  'print-test': command({
    summary: 'Print the technician\'s test receipt (kiosk id, version).',
    request: noArgs,
    response: z.object({ printed: z.literal(true) }),
    example: { request: {}, response: { printed: true } },
  }),
  'refresh-announcements': command({
    summary: 'Read the announcements from the kiosk\'s config file again and show them.',
    request: noArgs,
    response: z.object({ announcements: count }),
    example: { request: {}, response: { announcements: 2 } },
  }),
  'set-log-level': command({
    summary: 'Change the kiosk\'s log level until the next restart.',
    request: z.object({ level: z.enum(logLevels) }).strict(),
    response: z.object({ level: z.enum(logLevels), previous: z.enum(logLevels) }),
    example: { request: { level: 'debug' }, response: { level: 'debug', previous: 'info' } },
  }),
  diagnostics: command({
    summary: 'Recent log lines (a bounded ring in memory) and a summary of the journal. Card numbers, PINs and keys are '
      + 'redacted by the logger and masked again here.',
    request: noArgs,
    response: z.object({
      logLevel: z.enum(logLevels),
      log: z.array(z.record(z.string(), z.unknown())).describe('the most recent log records, oldest first'),
      journal: z.object({
        open: z.record(z.string(), z.record(z.string(), count)).describe('open records by kind (load, collect) and state'),
        outboxDepth: count,
      }),
    }),
    example: {
      request: {},
      response: {
        logLevel: 'info',
        log: [{ t: '2025-09-01T08:30:07.000Z', level: 'info', msg: 'recovered an unfinished transaction', txnId: 'JX-A101-000041', state: 'completed' }],
        journal: { open: { load: { torn: 1 } }, outboxDepth: 0 },
      },
    },
  }),
};

export type CommandName = keyof typeof commands;
/** A command's `args` and the `data` of its `done` result. */
export type CommandArgs<C extends CommandName> = z.output<(typeof commands)[C]['request']>;
export type CommandResultData<C extends CommandName> = z.output<(typeof commands)[C]['response']>;
export const commandNames = Object.keys(commands) as CommandName[];
export const isCommandName = (value: string): value is CommandName => Object.hasOwn(commands, value);

const nonce = z.string().regex(/^[A-Za-z0-9_-]{16,64}$/).describe('fresh random per command (16 to 64 of A-Z a-z 0-9 _ -); a kiosk refuses one it has seen');

export const commandEnvelopeSchema = z.object({
  id: z.uuid().describe('fresh per command; every result carries it back'),
  kioskId: topicLevelSchema.describe('the kiosk it is for (signed: it cannot be replayed at another kiosk)'),
  command: topicLevelSchema.describe('must equal the {name} topic level'),
  args: z.record(z.string(), z.unknown()).describe('the command\'s arguments, see Commands'),
  issuedAt: isoTime.describe('not later than the kiosk\'s clock plus 60 s'),
  expiresAt: isoTime.describe('not earlier than the kiosk\'s clock minus 60 s, and at most 24 h after issuedAt'),
  nonce,
  issuer: z.object({ certificate: pem('the signer\'s certificate: CN gateway.<name> or operator.<name>, issued by the campus CA') })
    .optional().describe('required: a command without it is refused COMMAND_UNSIGNED'),
  signature: z.string().regex(/^[A-Za-z0-9+/]+={0,2}$/).max(200).optional()
    .describe('required: ECDSA P-256 with SHA-256, DER, base64, over `signedBytes` (the canonical JSON of every other field)'),
});
export type CommandEnvelope = z.output<typeof commandEnvelopeSchema>;
export type SignedCommand = CommandEnvelope & { issuer: { certificate: string }; signature: string };

/**
 * The bytes a command's signature covers: every field but `signature`, as JSON with object keys sorted (recursively)
 * and no whitespace. Strings, integers, booleans and null serialise as JSON.stringify does; a signer in another
 * language sorts the keys the same way (RFC 8785 gives the same bytes for these values).
 */
export function signedBytes(envelope: CommandEnvelope): Buffer {
  const { signature: _, ...signed } = envelope;
  return Buffer.from(canonicalJson(signed), 'utf8');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export const commandStatuses = {
  waiting: 'accepted; the kiosk acts when the card session in progress has ended (a final result follows)',
  done: 'carried out; `data` is the command\'s result',
  refused: 'not carried out: not signed, badly signed, untrusted, expired, replayed, unknown or malformed (`error.code`)',
  failed: 'accepted but it did not succeed (`error.code`, e.g. PRINTER_PAPER_OUT)',
} as const;
export type CommandStatus = keyof typeof commandStatuses;

export const commandResultSchema = z.object({
  id: z.string().min(1).max(64).describe('the command\'s id'),
  command: z.string().min(1).max(64),
  status: z.enum(Object.keys(commandStatuses) as [CommandStatus, ...CommandStatus[]]),
  at: isoTime,
  reason: z.string().optional().describe('with waiting: what it waits for'),
  error: z.object({ code: errorCodeSchema, message: z.string() }).optional().describe('with refused and failed'),
  data: z.unknown().optional().describe('with done: the command\'s result, see Commands'),
});
export type CommandResult = z.output<typeof commandResultSchema>;

export function parseCommandEnvelope(payload: unknown): CommandEnvelope {
  return parse(commandEnvelopeSchema, payload, 'command');
}

export function parseCommandArgs<C extends CommandName>(name: C, args: unknown): CommandArgs<C> {
  return parse(commands[name].request as z.ZodType, args, `${name} command`, ['args']) as CommandArgs<C>;
}

export function parseCommandResult(payload: unknown): CommandResult {
  return parse(commandResultSchema, payload, 'command result');
}

// ---------------------------------------------------------------------------------------------------------------
// Enrolment: `quancun provision` on a new board -> the gateway's campus CA, over the provisioning-only broker account

const boardSerial = z.string().regex(/^[\x21-\x7e]{1,16}$/).describe('the board serial from its identity EEPROM (printable ASCII, at most 16)');

export const enrolment = {
  summary: 'A board asks for its kiosk certificate with a one-time enrolment code. The key pair was made on the board; '
    + 'only the CSR leaves it. The gateway checks the code (one kiosk id, unexpired, unused) and the board binding '
    + '(a kiosk id stays bound to the board serial it first enrolled with; the same board re-enrols with a new code), '
    + 'signs the CSR with CN = kiosk id and serialNumber = board serial, and returns the PIN pad\'s working key '
    + 'encrypted under that pad\'s transport key with its check value: the clear key never reaches the board.',
  request: z.object({
    id: z.uuid().describe('fresh per request; the response carries it back'),
    sentAt: isoTime,
    data: z.object({
      kioskId: topicLevelSchema,
      code: z.string().regex(/^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/).describe('the one-time enrolment code, as `quancun ca code` shows it; never logged'),
      boardSerial,
      location: z.string().min(1).max(120).describe('where the kiosk stands, as the installer typed it'),
      csr: pem('PKCS#10 certificate request for the key made on the board'),
      pinPad: z.object({ serial: boardSerial.describe('the PIN pad\'s serial, as its ping reports it') }),
    }),
  }),
  response: z.discriminatedUnion('ok', [
    z.object({
      id: z.string().min(1),
      ok: z.literal(true),
      data: z.object({
        kioskId: topicLevelSchema,
        terminalId: hex(12, 'terminal id the gateway keeps for this kiosk'),
        certificate: pem('the kiosk certificate'),
        caChain: z.array(pem('a CA certificate')).min(1).describe('issuing CA first, root last'),
        txnSeqFloor: z.int().min(0).describe('the highest transaction number the gateway has from this kiosk id: a '
          + 're-imaged board\'s fresh journal numbers its transactions after it, so no id is used twice'),
        pinKey: z.object({
          underTransportKey: hex(32, 'the pad\'s PIN key, 3DES-encrypted (ECB) under the pad\'s transport key'),
          checkValue: hex(6, 'key check value of the clear PIN key'),
        }),
      }),
    }),
    z.object({ id: z.string().min(1), ok: z.literal(false), error: z.object({ code: errorCodeSchema, message: z.string() }) }),
  ]),
};
export type EnrolmentRequest = z.output<typeof enrolment.request>;
export type EnrolmentResponse = z.output<typeof enrolment.response>;

export function parseEnrolmentRequest(payload: unknown): EnrolmentRequest {
  return parse(enrolment.request, payload, 'enrolment request');
}

export function parseEnrolmentResponse(payload: unknown): EnrolmentResponse {
  return parse(enrolment.response, payload, 'enrolment response');
}

// ---------------------------------------------------------------------------------------------------------------
// Topics

function level(value: string): string {
  if (!topicLevelSchema.safeParse(value).success) throw new QuancunError('LINK_BAD_MESSAGE', `not a valid topic level: ${JSON.stringify(value)}`);
  return value;
}

/** Topic names to publish to. Every variable level is checked, so a bad id throws instead of publishing astray. */
export const topics = {
  request: (kioskId: string, op: OpName) => `${ROOT}/kiosk/${level(kioskId)}/request/${op}`,
  /** `op` is a string so the gateway can also answer an operation it does not know. */
  response: (kioskId: string, op: string) => `${ROOT}/kiosk/${level(kioskId)}/response/${level(op)}`,
  kioskState: (kioskId: string) => `${ROOT}/kiosk/${level(kioskId)}/state`,
  event: (kioskId: string, kind: EventKind) => `${ROOT}/kiosk/${level(kioskId)}/event/${kind}`,
  gatewayState: `${ROOT}/gateway/state`,
  /** `session` is the provisioning client's own client id: the broker lets it use only its own pair. */
  enrolRequest: (session: string) => `${ROOT}/enrol/${level(session)}/request`,
  enrolResponse: (session: string) => `${ROOT}/enrol/${level(session)}/response`,
  /** `name` is a string so a kiosk can also answer a command it does not know. */
  command: (kioskId: string, name: string) => `${ROOT}/kiosk/${level(kioskId)}/command/${level(name)}`,
  commandResult: (kioskId: string, name: string) => `${ROOT}/kiosk/${level(kioskId)}/command-result/${level(name)}`,
  /** An announcement for every kiosk. */
  announcementForAll: (id: string) => `${ROOT}/announcements/all/${level(id)}`,
  /** An announcement for one kiosk (targeted by campus or by id): only that kiosk may read it. */
  announcementForKiosk: (kioskId: string, id: string) => `${ROOT}/announcements/kiosk/${level(kioskId)}/${level(id)}`,
};

/** Topic filters to subscribe to. */
export const subscriptions = {
  allRequests: `${ROOT}/kiosk/+/request/+`,
  responsesFor: (kioskId: string) => `${ROOT}/kiosk/${level(kioskId)}/response/+`,
  allKioskStates: `${ROOT}/kiosk/+/state`,
  allEvents: `${ROOT}/kiosk/+/event/+`,
  gatewayState: `${ROOT}/gateway/state`,
  allEnrolRequests: `${ROOT}/enrol/+/request`,
  commandsFor: (kioskId: string) => `${ROOT}/kiosk/${level(kioskId)}/command/+`,
  commandResultsFor: (kioskId: string) => `${ROOT}/kiosk/${level(kioskId)}/command-result/+`,
  allCommandResults: `${ROOT}/kiosk/+/command-result/+`,
  /** What a kiosk reads: the announcements for all, and its own. */
  announcementsFor: (kioskId: string) => [`${ROOT}/announcements/all/+`, `${ROOT}/announcements/kiosk/${level(kioskId)}/+`],
};

export type ParsedTopic =
  | { type: 'request' | 'response'; kioskId: string; op: string }
  | { type: 'kiosk-state'; kioskId: string }
  | { type: 'event'; kioskId: string; kind: string }
  | { type: 'command' | 'command-result'; kioskId: string; name: string }
  | { type: 'gateway-state' }
  | { type: 'enrol-request'; session: string }
  /** `kioskId` absent: for every kiosk. */
  | { type: 'announcement'; id: string; kioskId?: string };

/**
 * What a received topic is; undefined when it is not one of ours. Every level is a valid topic level, so it can be
 * used to build an answer topic, but `op`/`kind` may be unknown to this version.
 */
export function parseTopic(topic: string): ParsedTopic | undefined {
  if (topic === topics.gatewayState) return { type: 'gateway-state' };
  const announcement = parseAnnouncementTopic(topic);
  if (announcement) return announcement;
  const [root, version, kiosk, kioskId, type, name, ...rest] = topic.split('/');
  if (`${root}/${version}` !== ROOT || kioskId === undefined || rest.length > 0) return undefined;
  if (!topicLevelSchema.safeParse(kioskId).success) return undefined;
  if (kiosk === 'enrol') return type === 'request' && name === undefined ? { type: 'enrol-request', session: kioskId } : undefined;
  if (kiosk !== 'kiosk') return undefined;
  if (type === 'state' && name === undefined) return { type: 'kiosk-state', kioskId };
  if (name === undefined || !topicLevelSchema.safeParse(name).success) return undefined;
  if (type === 'request' || type === 'response') return { type, kioskId, op: name };
  if (type === 'event') return { type: 'event', kioskId, kind: name };
  if (type === 'command' || type === 'command-result') return { type, kioskId, name };
  return undefined;
}

function parseAnnouncementTopic(topic: string): ParsedTopic | undefined {
  const [root, version, announcements, scope, ...rest] = topic.split('/');
  if (`${root}/${version}` !== ROOT || announcements !== 'announcements') return undefined;
  const valid = (v: string | undefined): v is string => v !== undefined && topicLevelSchema.safeParse(v).success;
  if (scope === 'all' && rest.length === 1 && valid(rest[0])) return { type: 'announcement', id: rest[0] };
  if (scope === 'kiosk' && rest.length === 2 && valid(rest[0]) && valid(rest[1])) return { type: 'announcement', kioskId: rest[0], id: rest[1] };
  return undefined;
}

/** Where each topic sits in the tree, for the docs. */
export const topicTree = {
  request: { topic: `${ROOT}/kiosk/{kioskId}/request/{op}`, publisher: 'kiosk', qos: 1, retained: false, payload: 'request envelope' },
  response: { topic: `${ROOT}/kiosk/{kioskId}/response/{op}`, publisher: 'gateway', qos: 1, retained: false, payload: 'response envelope' },
  kioskState: { topic: `${ROOT}/kiosk/{kioskId}/state`, publisher: 'kiosk (and its last will)', qos: 1, retained: true, payload: 'kiosk state' },
  event: { topic: `${ROOT}/kiosk/{kioskId}/event/{kind}`, publisher: 'kiosk', qos: 1, retained: false, payload: 'event' },
  command: { topic: `${ROOT}/kiosk/{kioskId}/command/{name}`, publisher: 'gateway or operator (signed)', qos: 1, retained: false, payload: 'command envelope' },
  commandResult: { topic: `${ROOT}/kiosk/{kioskId}/command-result/{name}`, publisher: 'kiosk', qos: 1, retained: false, payload: 'command result' },
  gatewayState: { topic: `${ROOT}/gateway/state`, publisher: 'gateway (and its last will)', qos: 1, retained: true, payload: 'gateway state' },
  enrolRequest: { topic: `${ROOT}/enrol/{session}/request`, publisher: 'quancun provision (provisioning account)', qos: 1, retained: false, payload: 'enrolment request' },
  enrolResponse: { topic: `${ROOT}/enrol/{session}/response`, publisher: 'gateway', qos: 1, retained: false, payload: 'enrolment response' },
  announcementForAll: { topic: `${ROOT}/announcements/all/{id}`, publisher: 'gateway', qos: 1, retained: true, payload: 'announcement (empty: withdrawn or expired)' },
  announcementForKiosk: { topic: `${ROOT}/announcements/kiosk/{kioskId}/{id}`, publisher: 'gateway', qos: 1, retained: true, payload: 'announcement (empty: withdrawn or expired)' },
} as const;

// ---------------------------------------------------------------------------------------------------------------
// Parsing: every failure is LINK_BAD_MESSAGE naming the offending path, never the offending value

/** Payloads are wire bytes or text (JSON), or an already decoded value. Throws SyntaxError on bad JSON. */
function decode(payload: unknown): unknown {
  if (payload instanceof Uint8Array) return JSON.parse(new TextDecoder().decode(payload));
  return typeof payload === 'string' ? JSON.parse(payload) : payload;
}

function parse<S extends z.ZodType>(schema: S, payload: unknown, what: string, prefix: PropertyKey[] = []): z.output<S> {
  let value: unknown;
  try {
    value = decode(payload);
  } catch {
    throw new QuancunError('LINK_BAD_MESSAGE', `${what}: not JSON`);
  }
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues
    .map((issue) => `${[...prefix, ...issue.path].map(String).join('.') || '(root)'}: ${issue.message}`)
    .join('; ');
  throw new QuancunError('LINK_BAD_MESSAGE', `${what}: ${issues}`);
}

/** The `id` of a message that failed validation, so its sender can still be answered. */
export function peekId(payload: unknown): string | undefined {
  try {
    const id = (decode(payload) as { id?: unknown } | null)?.id;
    return typeof id === 'string' && id.length > 0 ? id : undefined;
  } catch {
    return undefined;
  }
}

// TypeScript cannot tie `operations[op]` to O inside a generic function, hence the casts below.
export function parseOpRequest<O extends OpName>(op: O, data: unknown): OpRequest<O> {
  return parse(operations[op].request as z.ZodType, data, `${op} request`, ['data']) as OpRequest<O>;
}

export function parseOpResponse<O extends OpName>(op: O, data: unknown): OpResponse<O> {
  return parse(operations[op].response as z.ZodType, data, `${op} response`, ['data']) as OpResponse<O>;
}

export function parseRequestEnvelope<O extends OpName>(op: O, payload: unknown): RequestEnvelope<O> {
  const envelope = parse(requestEnvelopeSchema, payload, `${op} request`);
  if (envelope.op !== op) throw new QuancunError('LINK_BAD_MESSAGE', `${op} request: op: is ${envelope.op}, topic says ${op}`);
  return { ...envelope, op, data: parseOpRequest(op, envelope.data) };
}

export function parseResponseEnvelope<O extends OpName>(op: O, payload: unknown): ResponseEnvelope<O> {
  const envelope = parse(responseEnvelopeSchema, payload, `${op} response`);
  return envelope.ok ? { id: envelope.id, ok: true, data: parseOpResponse(op, envelope.data) } : envelope;
}

export function parseKioskState(payload: unknown): KioskState {
  return parse(kioskStateSchema, payload, 'kiosk state');
}

export function parseGatewayState(payload: unknown): GatewayState {
  return parse(gatewayStateSchema, payload, 'gateway state');
}

export function parseEvent<K extends EventKind>(kind: K, payload: unknown): EventPayload<K> {
  return parse(events[kind].schema as z.ZodType, payload, `${kind} event`) as EventPayload<K>;
}
