/**
 * A simulated business day on the embedded default, for reconciliation: loads across the kiosks (some refused or
 * declined), then the bank simulator writes the day's reconciliation file from its own log.
 *
 * With `inject`, the day also carries one difference of every class, each made the way it happens in the field
 * where the simulators allow it:
 * - pending-load: the card leaves during the credit and does not come back (torn, then parked as 圈存未领);
 * - card-credited-without-final-posting: the kiosk's network goes down after the card was credited, before the
 *   final posting reached the gateway;
 * - reversal-unconfirmed: the bank's answer fails its MAC and the bank then drops every reversal, so the reversal
 *   the gateway owes is never confirmed that day;
 * and three in the bank's file itself, as a bank's own errors: a debit the campus never sent (bank-only), a campus
 * debit missing from the file (campus-only), and a line with the wrong amount (amount-mismatch).
 */
import type { Config } from '../../common/config.ts';
import { QuancunError } from '../../common/errors.ts';
import type { EmbeddedSystem } from '../embedded-system.ts';
import { runLoadScenario, scenarioAccounts, type LoadScenarioResult } from '../scenarios/load-scenario.ts';
import type { BankFileRecord } from '../../gateway/reconcile/bank-file.ts';

export type InjectedClass = 'bank-only' | 'campus-only' | 'amount-mismatch' | 'pending-load' | 'reversal-unconfirmed' | 'card-credited-without-final-posting';

export interface BusinessDayLoad {
  kioskId: string;
  asn: string;
  amount: number;
  pin?: string;
  /** What goes wrong during this load, on purpose. */
  inject?: 'pending-load' | 'card-credited-without-final-posting' | 'reversal-unconfirmed';
}

export interface BusinessDayResult {
  date: string;
  loads: Array<Pick<LoadScenarioResult, 'txnId' | 'state' | 'code' | 'amount'> & { kioskId: string }>;
  /** Injected differences, by class, with the STAN or transaction they concern. */
  injected: Array<{ class: InjectedClass; stan?: number; txnId?: string | null }>;
}

/**
 * The day's loads for the embedded default's cardholders (config/embedded.json): 张三 (bank 5000.00), 李四 (bank
 * 30.00), 王五 (not bound). The injected ones come last: the network and the bank's reversals stay broken until the
 * day ends, and a pending load (or one waiting for its final posting) blocks its card's next load.
 */
export function dayPlan(config: Config, inject: boolean): BusinessDayLoad[] {
  const [k1, k2] = [config.kiosks[0]!.id, (config.kiosks[1] ?? config.kiosks[0])!.id];
  const [zhang, li, wang] = config.cardholders.map((c) => c.asn.toUpperCase());
  if (!zhang || !li || !wang) throw new QuancunError('CONFIG_INVALID', 'a simulated day needs the three cardholders of the embedded default');
  const plan: BusinessDayLoad[] = [
    { kioskId: k1, asn: zhang, amount: 5000 },
    { kioskId: k2, asn: li, amount: 1000 },
    { kioskId: k1, asn: wang, amount: 2000 }, // not bound: refused
    { kioskId: k2, asn: zhang, amount: 3000, pin: '000000' }, // wrong PIN: declined
    { kioskId: k1, asn: li, amount: 5000 }, // more than the bank balance: declined
    { kioskId: k2, asn: zhang, amount: 10000 },
    { kioskId: k1, asn: zhang, amount: 800 },
    { kioskId: k2, asn: li, amount: 500 },
  ];
  if (inject) {
    plan.push(
      { kioskId: k2, asn: zhang, amount: 1200, inject: 'pending-load' }, // 张三's card is blocked until it is collected
      { kioskId: k2, asn: li, amount: 400, inject: 'reversal-unconfirmed' },
      { kioskId: k1, asn: li, amount: 600, inject: 'card-credited-without-final-posting' }, // K001 stays offline
    );
  }
  return plan;
}

/** Runs the plan on a started embedded system; the caller stops the system and then writes the bank's file. */
export async function runBusinessDay(system: EmbeddedSystem, config: Config, plan: BusinessDayLoad[]): Promise<BusinessDayResult['loads']> {
  const accounts = scenarioAccounts(config);
  const results: BusinessDayResult['loads'] = [];
  for (const load of plan) {
    const sim = system.kiosks.get(load.kioskId);
    if (!sim) throw new QuancunError('CONFIG_INVALID', `no kiosk ${load.kioskId} in this system`);
    const onStep = (step: string) => {
      if (load.inject === 'pending-load' && step === 'card-credit') sim.reader?.remove();
      if (load.inject === 'card-credited-without-final-posting' && step === 'confirming') sim.network?.unplug();
    };
    if (load.inject === 'reversal-unconfirmed') {
      system.bank.setBehaviour({ badMac: true }, { count: 1 });
      system.bank.queueBehaviour({ dropConnection: true }, { ops: ['reversal'] });
    }
    sim.kiosk.on('step', onStep);
    try {
      const r = await runLoadScenario(system, { kioskId: load.kioskId, asn: load.asn, amount: load.amount, ...accounts, ...(load.pin ? { pin: load.pin } : {}) });
      results.push({ kioskId: load.kioskId, txnId: r.txnId, state: r.state, amount: load.amount, ...(r.code ? { code: r.code } : {}) });
    } finally {
      sim.kiosk.off('step', onStep);
    }
  }
  return results;
}

/**
 * The bank's own errors in its file: a debit the campus never sent, a campus debit left out, a wrong amount. Picks
 * the day's last two plain transfers (by campus reference), so the differences the loads injected stay what they are.
 */
export function injectFileDifferences(records: BankFileRecord[], plain: Set<string>): { records: BankFileRecord[]; injected: BusinessDayResult['injected'] } {
  const transfers = records.filter((r) => r.kind === 'transfer' && plain.has(r.campusRef));
  const [dropped, altered] = transfers.slice(-2);
  if (!dropped || !altered) throw new QuancunError('INTERNAL', 'the simulated day has too few transfers to inject differences into');
  const stranger: BankFileRecord = { ...altered, stan: 999001, bankRef: '990000000001', campusRef: '', amount: 3300 };
  return {
    records: [...records.filter((r) => r !== dropped).map((r) => (r === altered ? { ...r, amount: r.amount + 100 } : r)), stranger],
    injected: [
      { class: 'campus-only', stan: dropped.stan, txnId: dropped.campusRef || null },
      { class: 'amount-mismatch', stan: altered.stan, txnId: altered.campusRef || null },
      { class: 'bank-only', stan: stranger.stan },
    ],
  };
}
