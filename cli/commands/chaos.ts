import { QuancunError } from '../../common/errors.ts';
import { VPCD_DEFAULT_SLOTS, vpcdSlotsFromEnv, type VpcdSlot } from '../../sim/card/vpcd-connector.ts';
import type { Command } from '../command.ts';
import { configOption, readConfig } from '../defaults.ts';
import { integer, shutdownSignal } from './run.ts';

export const chaos: Command = {
  name: 'chaos',
  summary: 'fault-injection harness: many seeded loads and fees against real processes, checking that no money is lost or made',
  details: [
    'Starts a broker (Mosquitto when installed, else aedes in its own process), the gateway and each configured kiosk',
    'as child processes, and the bank and biller simulators and the virtual cards in this one. Each run is one load',
    '(sometimes a wrong PIN or an unbound card), one fee (缴费), one subsidy (补助) issued and collected, or one batch',
    'transfer run (代扣) whose credit the card collects, with faults drawn from the seed: a kiosk or the',
    'gateway killed (SIGKILL) right after a journal step and restarted, the broker killed and restarted, the bank',
    'answering late, never, with a bad MAC or dropping the connection, the biller slow, too slow, refusing, down or',
    'losing its answer, the card leaving the field before or after an APDU and sometimes not coming back.',
    'After each run the system settles and the invariant is checked across bank, billers, ledger, cards and journals.',
    '--field pcsc puts the kiosks on their PC/SC backend, the cards in vpcd slots of a running pcscd (vsmartcard-vpcd),',
    'torn there as the real stack breaks off (FIN, RST, empty, short or garbage answers); --field both alternates.',
    'The slots come from --vpcd, else from QUANCUN_VPCD_PORTS/QUANCUN_VPCD_READERS (scripts/test.sh sets them),',
    "else vpcd's own first slots (port 35963 \"Virtual PCD 00 00\", 35964 \"Virtual PCD 00 01\").",
    '--store postgres puts the gateway on a private PostgreSQL cluster with a second gateway always waiting as the',
    'standby: a gateway killed is replaced by the standby taking the store over (docs/store.md).',
    'A violation names its seed and run index; --replay <index> runs that one scenario again on fresh processes.',
    'Exit status 0 only with no violation. See docs/chaos.md.',
  ].join('\n'),
  options: {
    runs: { type: 'string', description: 'number of scenarios', default: '100' },
    seed: { type: 'string', description: 'PRNG seed (default: a random one, printed)' },
    replay: { type: 'string', description: 'run only the scenario with this index of the seed' },
    faults: { type: 'string', description: 'comma-separated fault kinds to draw from (default: all)' },
    kinds: { type: 'string', description: 'comma-separated kinds of run to draw: load, wrong-pin, unbound-card, fee, subsidy, transfer (default: all)' },
    field: { type: 'string', description: 'where the kiosks read cards: sim, pcsc or both', default: 'sim' },
    store: { type: 'string', description: "the gateway's store: leveldb, or postgres with a standby gateway always waiting to take over", default: 'leveldb' },
    vpcd: { type: 'string', description: 'vpcd slots for pcsc kiosks: port=reader name, comma-separated' },
    'settle-ms': { type: 'string', description: 'longest wait for the journals to finish after a run', default: '8000' },
    json: { type: 'boolean', description: 'last line: {runs, faults, fields, tears, tearWays, fired, mix, violations}', default: false },
    trace: { type: 'boolean', description: "each run's scenario and outcome on stderr", default: false },
    config: configOption,
  },
  async run(v) {
    const loaded = readConfig(v);
    const { runChaos } = await import('../../sim/chaos/harness.ts');
    const { FAULT_KINDS, SCENARIO_KINDS } = await import('../../sim/chaos/scenario.ts');
    const runs = integer('runs', v.runs, 1, 1_000_000);
    const seed = v.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : integer('seed', v.seed, 0, 2 ** 32 - 1);
    const faultKinds = v.faults === undefined ? FAULT_KINDS : String(v.faults).split(',').map((k) => k.trim()).filter(Boolean);
    const unknown = faultKinds.filter((k) => !(FAULT_KINDS as readonly string[]).includes(k));
    if (unknown.length) throw new QuancunError('CONFIG_INVALID', `unknown fault kind ${unknown.join(', ')}; kinds: ${FAULT_KINDS.join(', ')}`);
    const kinds = v.kinds === undefined ? SCENARIO_KINDS : String(v.kinds).split(',').map((k) => k.trim()).filter(Boolean);
    const unknownKinds = kinds.filter((k) => !(SCENARIO_KINDS as readonly string[]).includes(k));
    if (unknownKinds.length || kinds.length === 0) throw new QuancunError('CONFIG_INVALID', `unknown kind of run ${unknownKinds.join(', ')}; kinds: ${SCENARIO_KINDS.join(', ')}`);
    const field = String(v.field);
    if (!(FIELDS as readonly string[]).includes(field)) throw new QuancunError('CONFIG_INVALID', `--field must be one of ${FIELDS.join(', ')}, not "${field}"`);
    const store = String(v.store);
    if (store !== 'leveldb' && store !== 'postgres') throw new QuancunError('CONFIG_INVALID', `--store must be leveldb or postgres, not "${store}"`);
    const tty = process.stderr.isTTY;
    // Ctrl-C ends the series after the current run, stops every child process and still prints the summary.
    const interrupted = new AbortController();
    void shutdownSignal().then(() => interrupted.abort());
    const report = await runChaos({
      signal: interrupted.signal,
      loaded, runs, seed, faultKinds: faultKinds as typeof FAULT_KINDS, kinds: kinds as typeof SCENARIO_KINDS,
      field: field as (typeof FIELDS)[number], vpcdSlots: vpcdSlots(v.vpcd === undefined ? undefined : String(v.vpcd)),
      settleMs: integer('settle-ms', v['settle-ms'], 100, 600_000), store,
      ...(v.replay !== undefined ? { only: integer('replay', v.replay, 0, 1_000_000) } : {}),
      ...(tty && !v.trace ? { onProgress: progressBar } : {}),
      ...(v.trace ? { onRun: (scenario: string, outcome: string) => console.error(`${scenario} -> ${outcome}`) } : {}),
    });
    if (tty && !v.trace) process.stderr.write('\n');
    console.log(`chaos: ${report.runs} runs, seed ${report.seed}, broker ${report.broker}, ${(report.elapsedMs / 1000).toFixed(1)} s`);
    console.log(`scenarios: ${Object.entries(report.mix).map(([k, n]) => `${k} ${n}`).join(', ')}`);
    console.log(`outcomes:  ${Object.entries(report.outcomes).sort().map(([k, n]) => `${k} ${n}`).join(', ')}`);
    console.log(`faults:    ${Object.entries(report.faults).sort().map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}`);
    console.log(`fields:    ${Object.entries(report.fields).map(([k, f]) => `${k} ${f}`).join(', ')}`);
    console.log(`tears:     ${Object.entries(report.tears).sort().map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}`);
    console.log(`tear ways: ${Object.entries(report.tearWays).sort().map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}`);
    console.log(`fired:     ${Object.entries(report.fired).sort().map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}`);
    console.log(`violations: ${report.violations.length}`);
    for (const x of report.violations) console.log(`  [${x.rule}] ${x.detail}\n    run ${x.scenario}\n    replay: ${x.replay}`);
    if (v.json) console.log(JSON.stringify({ runs: report.runs, faults: report.faults, fields: report.fields, tears: report.tears, tearWays: report.tearWays, fired: report.fired, mix: report.mix, violations: report.violations }));
    return report.violations.length === 0 ? 0 : 1;
  },
};

const FIELDS = ['sim', 'pcsc', 'both'] as const;
/** `port=name,…` from --vpcd, else the slots scripts/test.sh's private pcscd declares, else vpcd's defaults. */
function vpcdSlots(option: string | undefined): readonly VpcdSlot[] {
  if (option === undefined) return vpcdSlotsFromEnv() ?? VPCD_DEFAULT_SLOTS;
  return option.split(',').map((entry) => {
    const [port, ...name] = entry.split('=');
    const readerName = name.join('=').trim();
    if (!readerName) throw new QuancunError('CONFIG_INVALID', `--vpcd: "${entry}" is not port=reader name`);
    return { port: integer('vpcd', port, 1, 65535), readerName };
  });
}

function progressBar(done: number, total: number, violations: number): void {
  const width = 30;
  const filled = Math.round((done / total) * width);
  process.stderr.write(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total}  violations ${violations}`);
}
