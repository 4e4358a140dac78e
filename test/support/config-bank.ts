/** The bank host simulator of a config (its first bank, with the config's simulated accounts), started for one test. */
import type { ExecutionContext } from 'ava';
import type { Config } from '../../common/config.ts';
import { bankProfilePath } from '../../gateway/banks.ts';
import { loadBankProfile } from '../../gateway/bank/iso8583/profile.ts';
import { BankHostSimulator } from '../../sim/bank/bank-host.ts';

/** `profilePath`: another profile file for the bank (a test's shortened timeouts); by default the config's. */
export async function startConfigBank(t: ExecutionContext, raw: Config, profilePath = bankProfilePath(raw.banks[0]!.profile)): Promise<BankHostSimulator> {
  const bank = new BankHostSimulator({
    profile: loadBankProfile(profilePath),
    tmk: Buffer.from(raw.banks[0]!.tmk, 'hex'),
    accounts: raw.simulation!.bankAccounts.map(({ pan, balance, pin }) => ({ pan, balance, pin })),
  });
  await bank.start();
  t.teardown(() => bank.stop());
  return bank;
}
