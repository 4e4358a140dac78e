/**
 * The chaos harness's invariant on hand-written views of bank, gateway journal, ledger, kiosk journal and cards:
 * each rule fires on the case it exists for and stays quiet on a consistent system.
 */
import test from 'ava';
import { checkInvariant, type MoneyView } from '../../sim/chaos/invariant.ts';
import { GATEWAY_LOAD_MACHINE } from '../../gateway/loads/gateway-load-machine.ts';
import { LOAD_MACHINE } from '../../runtime/flows/load/load-machine.ts';
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
