/**
 * The chaos harness's invariant on hand-written views of bank, gateway journal, ledger, kiosk journal and cards:
 * each rule fires on the case it exists for and stays quiet on a consistent system.
 */
import test from 'ava';
import { checkInvariant, type MoneyView } from '../../sim/chaos/invariant.ts';
import { GATEWAY_LOAD_MACHINE } from '../../gateway/loads/gateway-load-machine.ts';
import { LOAD_MACHINE } from '../../runtime/flows/load/load-machine.ts';
import { GATEWAY_FEE_MACHINE } from '../../gateway/fees/fee-machine.ts';
import type { MachineSpec } from '../../common/store/journaled-machine.ts';
import { CAMPUS_CREDIT_MACHINE } from '../../gateway/credits/campus-credits.ts';

const transfer = (stan: string, amount: number, status: 'debited' | 'reversed') => ({
  terminalId: 'QC000001', stan, pan: '6217000010000000018', amount, bankRef: '000000000001', time: '2026-11-28T00:00:00Z', status,
});

function view(p: Partial<MoneyView> & Pick<MoneyView, 'bank' | 'gateway'>): MoneyView {
  return {
    journals: [
      { where: 'gateway gw/load', spec: GATEWAY_LOAD_MACHINE as MachineSpec<string>, records: p.gateway },
      { where: 'kiosk K001 txn/load/', spec: LOAD_MACHINE as MachineSpec<string>, records: [] },
    ],
    credits: [], postings: [], cardIncrease: 0, ...p,
  };
}

test('a completed load, a pending load and a reversed one, each with its posting: no violation', (t) => {
  t.deepEqual(checkInvariant(view({
    bank: [transfer('000001', 5000, 'debited'), transfer('000002', 300, 'debited'), transfer('000003', 700, 'reversed')],
    gateway: [
      { id: 'K001-00000001', state: 'completed', amount: 5000, stan: 1, mac2: 'AABBCCDD' },
      { id: 'K001-00000002', state: 'pending-load', amount: 300, stan: 2, mac2: '11223344' },
      { id: 'K001-00000003', state: 'reversed', amount: 700, stan: 3 },
      { id: 'K001-00000004', state: 'declined', amount: 900 },
    ],
    postings: [
      { txnId: 'K001-00000001', status: 'final', amount: 5000 },
      { txnId: 'K001-00000002', status: 'pending', amount: 300 },
      { txnId: 'K001-00000003', status: 'reversed', amount: 700 },
    ],
    credits: [{ asn: '31030000002023010001', mac2: 'AABBCCDD', amount: 5000 }],
    cardIncrease: 5000,
  })), []);
});

test('a card credited for a reversed debit: credited-and-reversed, and the sums are off by the amount', (t) => {
  const found = checkInvariant(view({
    bank: [transfer('000001', 5000, 'reversed')],
    gateway: [{ id: 'K001-00000001', state: 'reversed', amount: 5000, stan: 1, mac2: 'AABBCCDD' }],
    postings: [{ txnId: 'K001-00000001', status: 'reversed', amount: 5000 }],
    credits: [{ asn: '31030000002023010001', mac2: 'AABBCCDD', amount: 5000 }],
    cardIncrease: 5000,
  }));
  t.deepEqual(found.map((v) => v.rule), ['credited-and-reversed', 'sums']);
  t.is(found[1]!.detail, 'card increases 5000 + pending loads 0 + reversed 5000 = 10000 fen, bank debits 5000 fen');
});

test('two credits with one MAC2, a debit with no end, a record left mid-way, a missing posting and the sums (200 credited, 300 debited) are each named', (t) => {
  const found = checkInvariant(view({
    bank: [transfer('000001', 100, 'debited'), transfer('000002', 200, 'debited')],
    gateway: [
      { id: 'K001-00000001', state: 'completed', amount: 100, stan: 1, mac2: '0A0B0C0D' },
      { id: 'K001-00000002', state: 'mac2-issued', amount: 200, stan: 2, mac2: '01020304' },
    ],
    credits: [{ asn: '31030000002023010001', mac2: '0A0B0C0D', amount: 100 }, { asn: '31030000002023010001', mac2: '0A0B0C0D', amount: 100 }],
    cardIncrease: 200,
  }));
  t.deepEqual(found.map((v) => `${v.rule} ${v.txnId ?? ''}`), [
    'unfinished K001-00000002', 'credited-twice K001-00000001', 'debit-unaccounted K001-00000002', 'ledger K001-00000001', 'sums ',
  ]);
});

// Fees: a card debit is bound to its fee by the MAC1 the gateway issued; the biller's payments are by the fee's id.
const ASN = '31030000002023010001';
const FEE_BASE = { payments: [], kioskFees: [], transfers: [] };

test('a fee paid, one owed back, one refunded onto the card and one held undecided, each with its transfer: no violation', (t) => {
  t.deepEqual(checkInvariant(view({
    bank: [transfer('000001', 1000, 'debited')],
    gateway: [{ id: 'K001-00000001', state: 'completed', amount: 1000, stan: 1, mac2: 'AABBCCDD' }],
    postings: [
      { txnId: 'K001-00000001', status: 'final', amount: 1000 },
      { txnId: 'K001-00000003-refund', status: 'pending', amount: 40 },
      { txnId: 'K001-00000004-refund', status: 'final', amount: 30 },
    ],
    credits: [{ asn: ASN, mac2: 'AABBCCDD', amount: 1000 }, { asn: ASN, mac2: '55667788', amount: 30 }],
    // +1000 loaded, -120 -40 -30 -7 debited, +30 refunded.
    cardIncrease: 833,
    campusCredits: [
      { id: 'K001-00000003-refund', source: 'fee-refund', state: 'owed', amount: 40 },
      { id: 'K001-00000004-refund', source: 'fee-refund', state: 'completed', amount: 30, mac2: '55667788' },
    ],
    fees: {
      ...FEE_BASE,
      debits: [{ asn: ASN, mac1: '11111111', amount: 120 }, { asn: ASN, mac1: '22222222', amount: 40 }, { asn: ASN, mac1: '33333333', amount: 30 }, { asn: ASN, mac1: '44444444', amount: 7 }],
      fees: [
        { id: 'K001-00000002', state: 'paid', amount: 120, mac1: '11111111' },
        { id: 'K001-00000003', state: 'refund-owed', amount: 40, mac1: '22222222', refundId: 'K001-00000003-refund' },
        { id: 'K001-00000004', state: 'refund-owed', amount: 30, mac1: '33333333', refundId: 'K001-00000004-refund' },
        { id: 'K002-00000001', state: 'mac1-issued', amount: 7, mac1: '44444444' },
      ],
      payments: [{ paymentId: 'K001-00000002', amount: 120, status: 'paid' }, { paymentId: 'K001-00000003', amount: 40, status: 'refused' }],
      kioskFees: [{ id: 'K002-00000001', state: 'undecided' }],
      transfers: [
        { txnId: 'K001-00000002', status: 'final', amount: 120 },
        { txnId: 'K001-00000003', status: 'undone', amount: 40 },
        { txnId: 'K001-00000004', status: 'undone', amount: 30 },
      ],
    },
  })), []);
});

test('a fee paid and refunded, a payment with no card debit, a debit abandoned and one with no fee are each named, and the fee sums are off', (t) => {
  const found = checkInvariant(view({
    bank: [], gateway: [],
    postings: [{ txnId: 'K001-00000001-refund', status: 'pending', amount: 100 }],
    cardIncrease: -260,
    campusCredits: [{ id: 'K001-00000001-refund', source: 'fee-refund', state: 'owed', amount: 100 }],
    fees: {
      ...FEE_BASE,
      debits: [{ asn: ASN, mac1: '11111111', amount: 100 }, { asn: ASN, mac1: '33333333', amount: 60 }, { asn: ASN, mac1: '99999999', amount: 100 }],
      fees: [
        { id: 'K001-00000001', state: 'refund-owed', amount: 100, mac1: '11111111', refundId: 'K001-00000001-refund' },
        { id: 'K001-00000002', state: 'paid', amount: 50, mac1: '22222222' },
        { id: 'K001-00000003', state: 'not-debited', amount: 60, mac1: '33333333' },
      ],
      payments: [{ paymentId: 'K001-00000001', amount: 100, status: 'paid' }, { paymentId: 'K001-00000002', amount: 50, status: 'paid' }],
      transfers: [
        { txnId: 'K001-00000001', status: 'undone', amount: 100 },
        { txnId: 'K001-00000002', status: 'final', amount: 50 },
      ],
    },
  }));
  t.deepEqual(found.map((v) => `${v.rule} ${v.txnId ?? ''}`), [
    'debit-without-fee ', 'paid-and-refunded K001-00000001', 'payment-without-debit K001-00000002', 'fee-unaccounted K001-00000003', 'fee-sums ',
  ]);
  // Debits 260 = payments 150 + owed 100 + nothing credited or held.
  t.is(found[4]!.detail, 'card purchase debits 260 fen, biller payments 150 + refunds owed 100 + refunds credited 0 + held undecided 0 = 250 fen');
});

test('a fee left at mac1-issued while its kiosk is not undecided is unfinished; a paid fee whose transfer is still held is a ledger violation', (t) => {
  const found = checkInvariant(view({
    bank: [], gateway: [],
    cardIncrease: -10,
    journals: [{ where: 'gateway gw/fee', spec: GATEWAY_FEE_MACHINE as MachineSpec<string>, records: [{ id: 'K001-00000001', state: 'mac1-issued' }, { id: 'K001-00000002', state: 'paid' }] }],
    fees: {
      ...FEE_BASE,
      debits: [{ asn: ASN, mac1: '22222222', amount: 10 }],
      fees: [{ id: 'K001-00000001', state: 'mac1-issued', amount: 5, mac1: '11111111' }, { id: 'K001-00000002', state: 'paid', amount: 10, mac1: '22222222' }],
      payments: [{ paymentId: 'K001-00000002', amount: 10, status: 'paid' }],
      kioskFees: [{ id: 'K001-00000001', state: 'torn' }],
      transfers: [{ txnId: 'K001-00000002', status: 'held', amount: 10 }],
    },
  }));
  t.deepEqual(found.map((v) => `${v.rule} ${v.txnId ?? ''}`), ['unfinished K001-00000001', 'ledger K001-00000002']);
});

// Campus-funded credits and batch transfers: a credit is bound to its card credit by the MAC2 it last issued, a
// standing transfer to the bank's applied transfer by its STAN (and field 63, its id).
const CREDIT_MACHINE = { where: 'gateway gw/credit', spec: CAMPUS_CREDIT_MACHINE as MachineSpec<string> };
const standing = (stan: string, amount: number, status: 'debited' | 'reversed', campusRef: string) => ({ ...transfer(stan, amount, status), campusRef });

test('a subsidy collected, one outstanding with its MAC2 issued, one expired, a transfer collected, one owed and one reversed, each with its posting: no violation', (t) => {
  const credits = [
    { id: 'SUB-A-0001', source: 'subsidy', state: 'completed', amount: 500, mac2: 'A0A0A0A0' },
    { id: 'SUB-A-0002', source: 'subsidy', state: 'mac2-issued', amount: 70, mac2: 'B0B0B0B0' },
    { id: 'SUB-A-0003', source: 'subsidy', state: 'expired', amount: 30 },
    { id: 'TR-20261207-1-0001', source: 'transfer', state: 'completed', amount: 1000, mac2: 'C0C0C0C0' },
    { id: 'TR-20261207-1-0002', source: 'transfer', state: 'owed', amount: 2000 },
  ];
  t.deepEqual(checkInvariant(view({
    bank: [standing('000001', 1000, 'debited', 'TR-20261207-1-0001'), standing('000002', 2000, 'debited', 'TR-20261207-1-0002'), standing('000003', 400, 'reversed', 'TR-20261207-2-0001')],
    gateway: [],
    journals: [{ ...CREDIT_MACHINE, records: credits }],
    campusCredits: credits,
    standing: [
      { id: 'TR-20261207-1-0001', state: 'credit-owed', amount: 1000, stan: 1 },
      { id: 'TR-20261207-1-0002', state: 'credit-owed', amount: 2000, stan: 2 },
      { id: 'TR-20261207-2-0001', state: 'reversed', amount: 400, stan: 3 },
    ],
    postings: [
      { txnId: 'SUB-A-0001', status: 'final', amount: 500 }, { txnId: 'SUB-A-0002', status: 'pending', amount: 70 }, { txnId: 'SUB-A-0003', status: 'expired', amount: 30 },
      { txnId: 'TR-20261207-1-0001', status: 'final', amount: 1000 }, { txnId: 'TR-20261207-1-0002', status: 'pending', amount: 2000 },
      { txnId: 'TR-20261207-2-0001', status: 'reversed', amount: 400 },
    ],
    credits: [{ asn: ASN, mac2: 'A0A0A0A0', amount: 500 }, { asn: ASN, mac2: 'C0C0C0C0', amount: 1000 }],
    cardIncrease: 1500,
    subsidyReport: { total: { issued: { count: 3, amount: 600 }, collected: { count: 1, amount: 500 }, outstanding: { count: 1, amount: 70 }, expired: { count: 1, amount: 30 }, balanced: true } },
  })), []);
});

test('a subsidy credited twice, one completed that no card shows, one expired that a card has, and a report that does not balance are each named', (t) => {
  const credits = [
    { id: 'SUB-A-0001', source: 'subsidy', state: 'completed', amount: 500, mac2: 'A0A0A0A0' },
    { id: 'SUB-A-0002', source: 'subsidy', state: 'completed', amount: 70, mac2: 'B0B0B0B0' },
    { id: 'SUB-A-0003', source: 'subsidy', state: 'expired', amount: 30, mac2: 'D0D0D0D0' },
  ];
  const found = checkInvariant(view({
    bank: [], gateway: [],
    campusCredits: credits,
    postings: [{ txnId: 'SUB-A-0001', status: 'final', amount: 500 }, { txnId: 'SUB-A-0002', status: 'final', amount: 70 }, { txnId: 'SUB-A-0003', status: 'expired', amount: 30 }],
    credits: [{ asn: ASN, mac2: 'A0A0A0A0', amount: 500 }, { asn: ASN, mac2: 'A0A0A0A0', amount: 500 }, { asn: ASN, mac2: 'D0D0D0D0', amount: 30 }],
    cardIncrease: 1030,
    subsidyReport: { total: { issued: { count: 3, amount: 600 }, collected: { count: 2, amount: 570 }, outstanding: { count: 0, amount: 0 }, expired: { count: 0, amount: 0 }, balanced: false } },
  }));
  t.deepEqual(found.map((v) => `${v.rule} ${v.txnId ?? ''}`), [
    'credited-twice SUB-A-0001', 'credit-unaccounted SUB-A-0002', 'credited-and-expired SUB-A-0003', 'subsidy-sums ', 'subsidy-report ',
  ]);
  t.is(found[3]!.detail, 'subsidies issued 600 fen, on the cards 1030 + outstanding 0 + expired 0 = 1030 fen');
});

test('a standing transfer the bank applied twice, a debit with no credit owed, a reversed one still owed and a credit with no debit are each named, and the sums are off', (t) => {
  const credits = [
    { id: 'TR-20261207-1-0001', source: 'transfer', state: 'owed', amount: 1000 },
    { id: 'TR-20261207-1-0003', source: 'transfer', state: 'owed', amount: 300 },
    { id: 'TR-20261207-1-0004', source: 'transfer', state: 'owed', amount: 50 },
  ];
  const found = checkInvariant(view({
    bank: [
      standing('000001', 1000, 'debited', 'TR-20261207-1-0001'), standing('000005', 1000, 'debited', 'TR-20261207-1-0001'),
      standing('000002', 200, 'debited', 'TR-20261207-1-0002'), standing('000003', 300, 'reversed', 'TR-20261207-1-0003'),
    ],
    gateway: [],
    campusCredits: credits,
    standing: [
      { id: 'TR-20261207-1-0001', state: 'credit-owed', amount: 1000, stan: 1 },
      { id: 'TR-20261207-1-0001', state: 'credit-owed', amount: 1000, stan: 5 },
      { id: 'TR-20261207-1-0002', state: 'reversed', amount: 200, stan: 2 },
      { id: 'TR-20261207-1-0003', state: 'reversed', amount: 300, stan: 3 },
      { id: 'TR-20261207-1-0004', state: 'declined', amount: 50 },
    ],
    postings: [
      { txnId: 'TR-20261207-1-0001', status: 'pending', amount: 1000 }, { txnId: 'TR-20261207-1-0002', status: 'reversed', amount: 200 },
      { txnId: 'TR-20261207-1-0003', status: 'pending', amount: 300 }, { txnId: 'TR-20261207-1-0004', status: 'pending', amount: 50 },
    ],
  }));
  t.deepEqual(found.map((v) => `${v.rule} ${v.txnId ?? ''}`), [
    'transfer-sent-twice TR-20261207-1-0001', 'debit-unaccounted TR-20261207-1-0002', 'credited-and-reversed TR-20261207-1-0003',
    'credit-without-debit TR-20261207-1-0003', 'credit-without-debit TR-20261207-1-0004', 'ledger TR-20261207-1-0003', 'ledger TR-20261207-1-0004', 'sums ',
  ]);
  t.is(found.at(-1)!.detail, 'card increases 0 + pending loads 0 + transfers owed 2000 + reversed 300 = 2300 fen, bank debits 2500 fen');
});
