/**
 * Configuration files as text: the deployment config (common/config.ts) and a bank profile (a deployment may name its
 * own profile file). Seeds are the embedded default config and both shipped profiles, mutated as bytes and as JSON.
 */
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { parseConfig, parseJsonText } from '../../common/config.ts';
import { bankProfilePath } from '../../gateway/banks.ts';
import { parseBankProfile } from '../../gateway/bank/iso8583/profile.ts';
import { jsonMutations, messageBytes, whole, type FuzzTarget } from './target.ts';

function jsonTarget(name: string, about: string, files: string[], parse: (value: unknown, path: string) => unknown): FuzzTarget {
  const texts = files.map((f) => readFileSync(f));
  return {
    name,
    about,
    inputs: whole(fc.oneof(messageBytes(texts), jsonMutations(texts.map((t) => JSON.parse(t.toString('utf8')))))),
    run([text]) {
      parse(parseJsonText(text!.toString('utf8'), 'fuzz.json'), 'fuzz.json');
    },
  };
}

export const configTarget = jsonTarget('config', 'the deployment config file (JSON, then the schema)',
  [new URL('../../config/embedded.json', import.meta.url).pathname], parseConfig);

export const bankProfileTarget = jsonTarget('bank-profile', 'a bank profile file (JSON, the schema, then every cross-check)',
  ['unionpay', 'ascii-x919'].map(bankProfilePath), parseBankProfile);
