/**
 * The one-card contract on the HTTP web middle tier: the gateway's client against the one-card centre simulator on
 * loopback, with a bearer token from a file. Then what only HTTP has: the ways an answer does not come (503, a lost
 * answer, too slow, a token refused) are ONECARD_UNAVAILABLE, never a refusal, and the token never appears in an error.
 */
import test, { type ExecutionContext } from 'ava';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HttpOneCard } from '../../gateway/onecard/http-one-card.ts';
import { OneCardCentre } from '../../sim/onecard/onecard-centre.ts';
import { tempDir } from '../support/temp-dir.ts';
import { CONTRACT_ACCOUNTS, externalOneCardContract, ZHANG } from './one-card.contract.ts';

const TOKEN = 'c2VjcmV0LW9uZWNhcmQtdG9rZW4';

async function startCentre(t: ExecutionContext): Promise<OneCardCentre> {
  const centre = new OneCardCentre({ accounts: CONTRACT_ACCOUNTS, token: TOKEN });
  await centre.start();
  t.teardown(() => centre.stop());
  return centre;
}

async function client(t: ExecutionContext, url: string, token = TOKEN, timeoutMs = 2000): Promise<HttpOneCard> {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'onecard.token'), `${token}\n`);
  return new HttpOneCard({ url, timeoutMs, tokenFile: { configPath: join(dir, 'gateway.json'), file: 'onecard.token' } });
}

async function rig(t: ExecutionContext) {
  const centre = await startCentre(t);
  const gone = new OneCardCentre({ accounts: [] });
  await gone.start();
  await gone.stop();
  const unreachable = await client(t, gone.url);
  return {
    centre,
    system: await client(t, centre.url),
    applied: async (txnId: string) => centre.posting(txnId)?.applied ?? [],
    unreachable: () => unreachable,
  };
}

externalOneCardContract('http', rig);

const unavailable = { code: 'ONECARD_UNAVAILABLE' } as never;
const PROVISIONAL = { txnId: 'K001-00000001', campusAccount: ZHANG.campusAccount, amount: 5000, status: 'provisional' as const, at: '2026-11-27T08:30:00.000Z' };

test('http: a 503 is no answer; the next request is answered', async (t) => {
  const { centre, system } = await rig(t);
  await system.open();
  centre.fail(2);
  await t.throwsAsync(system.accountByAsn(ZHANG.asn), unavailable);
  await t.throwsAsync(system.post(PROVISIONAL), unavailable);
  t.deepEqual(centre.postings(), []);
  t.deepEqual(await system.accountByAsn(ZHANG.asn), ZHANG);
});

test('http: a posting applied whose answer was lost is no answer; sent again it is answered and stays applied once', async (t) => {
  const { centre, system } = await rig(t);
  await system.open();
  centre.loseAnswers(1);
  await t.throwsAsync(system.post(PROVISIONAL), unavailable);
  t.deepEqual(centre.posting('K001-00000001')?.applied, ['provisional']);
  t.deepEqual(await system.post(PROVISIONAL), PROVISIONAL);
  t.deepEqual(centre.posting('K001-00000001')?.applied, ['provisional']);
  t.is(centre.postingRequests, 2);
});

test('http: an answer slower than the timeout is no answer', async (t) => {
  const { centre } = await rig(t);
  const system = await client(t, centre.url, TOKEN, 200);
  await system.open();
  centre.slow(1000);
  await t.throwsAsync(system.post(PROVISIONAL), unavailable);
  centre.slow(0);
  t.deepEqual(centre.posting('K001-00000001')?.applied, ['provisional']);
});

test('http: a token the middle tier does not take is no answer (not an unknown card), and the token is in no message', async (t) => {
  const { centre } = await rig(t);
  const system = await client(t, centre.url, 'd3JvbmctdG9rZW4');
  await system.open();
  const err = await t.throwsAsync(system.accountByAsn(ZHANG.asn), unavailable);
  t.regex(err!.message, /HTTP 401 \(check oneCard\.tokenFile\)/);
  t.false(err!.message.includes('d3JvbmctdG9rZW4'));
});

test('http: a token file that cannot be read is CONFIG_INVALID naming the key', async (t) => {
  const dir = await tempDir(t);
  const system = new HttpOneCard({ url: 'http://127.0.0.1:9/', timeoutMs: 1000, tokenFile: { configPath: join(dir, 'gateway.json'), file: 'missing.token' } });
  const err = await t.throwsAsync(system.open(), { code: 'CONFIG_INVALID' } as never);
  t.regex(err!.message, /oneCard\.tokenFile: cannot read .*missing\.token \(ENOENT\)/);
});
