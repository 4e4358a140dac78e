/**
 * The same end-to-end load on each shipped bank profile: the embedded default with its bank switched to the profile
 * (the gateway and the bank simulator both speak it), a virtual card tapped, the PIN typed on the simulated pad.
 * Money is checked on the card and at the bank; the bank's log shows the session and transfer it saw. A profile with
 * a mistake stops the system at start, before anything connects.
 */
import test from 'ava';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { QuancunError } from '../../common/errors.ts';
import { bankProfilePath } from '../../gateway/banks.ts';
import { runLoadScenario, scenarioAccounts } from '../../sim/scenarios/load-scenario.ts';
import { startTestSystem } from '../support/kiosk-system.ts';
import { tempDir } from '../support/temp-dir.ts';

// From config/embedded.json: 张三, card 10.00, bank 5000.00.
const ZHANG = { asn: '31030000002023010001', pan: '6217000010000000018' };

for (const profile of ['unionpay', 'ascii-x919']) {
  test(`a load end to end on the ${profile} profile`, async (t) => {
    const system = await startTestSystem(t, { edit: (c) => void (c.banks[0]!.profile = profile) });
    const result = await runLoadScenario(system, { kioskId: 'K001', asn: ZHANG.asn, amount: 5000, ...scenarioAccounts(system.loaded.config) });
    t.like(result, { state: 'completed', card: { before: 1000, after: 6000 }, bank: { before: 500_000, after: 495_000 }, tacVerified: true });
    t.is(system.cards.get(ZHANG.asn)!.state().balance, 6000);
    t.is(system.bank.balanceOf(ZHANG.pan), 495_000);
    t.like(system.bank.log, [{ mti: '0800', responseCode: '00' }, { mti: '0200', amount: 5000, responseCode: '00', answered: true }]);
    t.like(await system.gateway.ledger.posting(result.txnId!), { amount: 5000, status: 'final' });
  });
}

test('a bank profile with a mistake stops the system at start, naming the file, the field and the reason', async (t) => {
  const raw = JSON.parse(readFileSync(bankProfilePath('ascii-x919'), 'utf8'));
  raw.fields.find((f: { no: number }) => f.no === 4).lengthType = 'LLLL';
  const path = join(await tempDir(t), 'mybank.json');
  writeFileSync(path, JSON.stringify(raw));
  const err = await t.throwsAsync(startTestSystem(t, { edit: (c) => void (c.banks[0]!.profile = path) }), { instanceOf: QuancunError });
  t.is(err?.code, 'CONFIG_INVALID');
  t.true(err!.message.startsWith(`${path}: field 4.lengthType: Invalid option`), err!.message);
});
