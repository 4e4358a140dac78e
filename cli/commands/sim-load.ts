import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatYuan } from '../../common/money.ts';
import { ERROR_CODES, QuancunError } from '../../common/errors.ts';
import type { LoadScenarioResult } from '../../sim/scenarios/load-scenario.ts';
import type { Command } from '../command.ts';
import { configOption, readConfig, cliLogger, verboseOption } from '../defaults.ts';

export const simLoad: Command = {
  name: 'sim load',
  summary: 'run one bank-to-card load on the embedded default, with no person at the kiosk',
  details: [
    'Starts the embedded broker, bank simulator, gateway and a kiosk, taps a virtual card, types the PIN on the',
    'simulated PIN pad and loads the amount. With --reader pcsc the kiosk waits for whatever card is presented to a',
    'PC/SC reader (e.g. a virtual card on vpcd: `quancun sim card`). Journals go to a fresh temporary folder',
    'unless --keep-data is given. A load that does not complete prints its error code and message and the',
    "balances read from the card and the bank. Exit status 0 only when the load completed.",
  ].join('\n'),
  options: {
    amount: { type: 'string', description: 'amount in yuan, e.g. 50.00' },
    json: { type: 'boolean', description: 'print the result as JSON on the last line', default: false },
    card: { type: 'string', description: 'ASN of the virtual card to tap (default: the first in the config)' },
    kiosk: { type: 'string', description: 'kiosk id', default: 'K001' },
    pin: { type: 'string', description: 'PIN typed on the PIN pad (default: the bank account PIN of the simulation)' },
    reader: { type: 'string', description: 'card reader backend: sim or pcsc', default: 'sim' },
    'reader-name': { type: 'string', description: 'PC/SC reader name (default: the first reader)' },
    'keep-data': { type: 'boolean', description: "keep journals in the config's data dir", default: false },
    config: configOption,
    verbose: verboseOption,
  },
  async run(v) {
    const loaded = readConfig(v);
    const log = cliLogger(Boolean(v.verbose));
    const kioskId = String(v.kiosk);
    // Loaded here, not at the top: `quancun --help` must not start up the whole system's modules.
    const { runLoadScenario, scenarioAccounts } = await import('../../sim/scenarios/load-scenario.ts');
    if (v.reader !== 'sim' && v.reader !== 'pcsc') throw new QuancunError('CONFIG_INVALID', `--reader must be sim or pcsc, not ${String(v.reader)}`);
    const { startEmbeddedSystem } = await import('../../sim/embedded-system.ts');
    const dataDir = v['keep-data'] ? undefined : await mkdtemp(join(tmpdir(), 'quancun-sim-'));
    const system = await startEmbeddedSystem({
      loaded, log, readerBackend: v.reader, kioskIds: [kioskId],
      ...(dataDir ? { dataDir } : {}), ...(v['reader-name'] ? { readerName: String(v['reader-name']) } : {}),
    });
    try {
      const result = await runLoadScenario(system, {
        // As typed: a refusal of it still shows the balance of the card that was tapped.
        kioskId, amount: String(v.amount ?? ''), ...scenarioAccounts(loaded.config),
        ...(v.card ? { asn: String(v.card) } : {}), ...(v.pin ? { pin: String(v.pin) } : {}),
      });
      return report(result, Boolean(v.json));
    } finally {
      await system.stop();
      if (dataDir) await rm(dataDir, { recursive: true, force: true });
    }
  },
};

function report(r: LoadScenarioResult, json: boolean): number {
  if (json) {
    console.log(JSON.stringify(r));
  } else {
    const yuan = (n: number | null) => (n === null ? '-' : formatYuan(n));
    console.log(`transaction  ${r.txnId ?? '(none)'}`);
    console.log(`state        ${r.state}`);
    if (r.code) console.log(`error        ${r.code}: ${r.message ?? ERROR_CODES[r.code].en}`);
    console.log(`card         ${yuan(r.card.before)} -> ${yuan(r.card.after)}`);
    console.log(`bank         ${yuan(r.bank.before)} -> ${yuan(r.bank.after)}`);
    console.log(`TAC verified ${r.tacVerified ? 'yes' : 'no'}`);
  }
  return r.state === 'completed' ? 0 : 1;
}
