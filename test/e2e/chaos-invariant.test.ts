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
const FEE_BASE = { payments: [], kioskFees: [], transfers: [], refunds: [] };

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
    fees: {
      ...FEE_BASE,
      debits: [{ asn: ASN, mac1: '11111111', amount: 120 }, { asn: ASN, mac1: '22222222', amount: 40 }, { asn: ASN, mac1: '33333333', amount: 30 }, { asn: ASN, mac1: '44444444', amount: 7 }],
      fees: [
        { id: 'K001-00000002', state: 'paid', amount: 120, mac1: '11111111' },
        { id: 'K001-00000003', state: 'refund-owed', amount: 40, mac1: '22222222', refundId: 'K001-00000003-refund' },
        { id: 'K001-00000004', state: 'refund-owed', amount: 30, mac1: '33333333', refundId: 'K001-00000004-refund' },
        { id: 'K002-00000001', state: 'mac1-issued', amount: 7, mac1: '44444444' },
      ],
      refunds: [
        { id: 'K001-00000003-refund', state: 'owed', amount: 40 },
        { id: 'K001-00000004-refund', state: 'completed', amount: 30, mac2: '55667788' },
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
    fees: {
      ...FEE_BASE,
      debits: [{ asn: ASN, mac1: '11111111', amount: 100 }, { asn: ASN, mac1: '33333333', amount: 60 }, { asn: ASN, mac1: '99999999', amount: 100 }],
      fees: [
        { id: 'K001-00000001', state: 'refund-owed', amount: 100, mac1: '11111111', refundId: 'K001-00000001-refund' },
        { id: 'K001-00000002', state: 'paid', amount: 50, mac1: '22222222' },
        { id: 'K001-00000003', state: 'not-debited', amount: 60, mac1: '33333333' },
      ],
      refunds: [{ id: 'K001-00000001-refund', state: 'owed', amount: 100 }],
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
