/**
 * The gateway's Prometheus metrics and health check, against loads the test made at kiosk K001 of the embedded default
 * (config/embedded.json: 张三's card 10.00, PIN 123456, bank unionpay). The metrics text is read with the test's own
 * parser of the exposition format (test/support/prometheus-text.ts), not with prom-client.
 */
import test from 'ava';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bankProfilePath } from '../../gateway/banks.ts';
import { loadAt, startTestSystem } from '../support/kiosk-system.ts';
import { startMosquitto } from '../support/mosquitto.ts';
import { parsePrometheusText, sampleValue } from '../support/prometheus-text.ts';
import { tempDir } from '../support/temp-dir.ts';
import { startTornLoad, ZHANG } from '../support/torn-load.ts';

test('the counters match the loads made: completed, declined, a pending load; bank answer times per bank; health ok', async (t) => {
  const system = await startTestSystem(t, { edit: (c) => void (c.limits.rePresentSeconds = 1) });
  t.like(await loadAt(system, 'K001', ZHANG, 5000), { state: 'completed' });
  t.like(await loadAt(system, 'K001', { asn: ZHANG.asn, pin: '000000' }, 3000), { state: 'declined', code: 'PIN_WRONG' });
  const torn = await startTornLoad(system, 'K001', 2000, 'before');
  t.like(await torn.outcome, { state: 'pending-load' });

  const text = await system.gateway.metrics.text();
  t.regex(system.gateway.metrics.contentType, /^text\/plain; version=0\.0\.4/);
  const m = parsePrometheusText(text);
  t.is(m.get('quancun_loads_total')!.type, 'counter');
  t.is(sampleValue(m, 'quancun_loads_total', { outcome: 'completed' }), 1);
  t.is(sampleValue(m, 'quancun_loads_total', { outcome: 'declined' }), 1);
  t.false(m.get('quancun_loads_total')!.samples.some((s) => s.labels.outcome === 'pending-load'), 'a pending load has not ended');
  t.is(m.get('quancun_bank_answer_seconds')!.type, 'histogram');
  // Three transfers answered (approved, declined, approved and then torn at the card), each timed once.
  t.is(sampleValue(m, 'quancun_bank_answer_seconds_count', { bank: 'unionpay', op: 'transfer' }), 3);
  t.is(sampleValue(m, 'quancun_bank_answer_seconds_bucket', { bank: 'unionpay', op: 'transfer', le: '+Inf' }), 3);
  t.true(sampleValue(m, 'quancun_bank_answer_seconds_count', { bank: 'unionpay', op: 'signOn' }) >= 1);
  t.is(sampleValue(m, 'quancun_pending_loads'), 1);
  t.is(sampleValue(m, 'quancun_pending_loads_fen'), 2000);
  t.is(sampleValue(m, 'quancun_saf_depth'), 0);
  t.is(sampleValue(m, 'quancun_kiosks_online'), 1);
  t.is(sampleValue(m, 'quancun_bank_signed_on', { bank: 'unionpay' }), 1);

  const health = await system.gateway.health.check();
  t.is(health.status, 'ok');
  t.deepEqual(health.reasons, []);
  t.deepEqual(Object.fromEntries(Object.entries(health.checks).map(([k, c]) => [k, c.status])), { journal: 'ok', broker: 'ok', reversals: 'ok', 'bank:unionpay': 'ok' });
});

test('a silent bank: the owed reversal shows as SAF depth and degrades the health, the confirmed one clears it; a lost broker fails it', async (t) => {
  const dir = await tempDir(t, 'quancun-metrics-');
  const broker = await startMosquitto();
  t.teardown(() => broker.stop());
  const system = await startTestSystem(t, {
    mqttUrl: broker.url,
    edit(c) {
      // The bank's answer time is the profile's; a short one keeps each silent try short.
      const profile = JSON.parse(readFileSync(bankProfilePath(c.banks[0]!.profile), 'utf8')) as { timeouts: Record<string, number> };
      profile.timeouts = { ...profile.timeouts, responseMs: 400 };
      writeFileSync(join(dir, 'bank-profile.json'), JSON.stringify(profile));
      c.banks[0]!.profile = join(dir, 'bank-profile.json');
      c.reversals = { minMs: 100, maxMs: 200, attentionAfter: 2 };
    },
  });
  const { reversals } = system.gateway.loads;
  const scrape = async () => parsePrometheusText(await system.gateway.metrics.text());

  system.bank.setBehaviour({ silence: true });
  const secondFailure = new Promise<void>((resolve) => reversals.on('failed', (_id, attempts) => attempts >= 2 && resolve()));
  t.like(await loadAt(system, 'K001', ZHANG, 5000), { code: 'BANK_TIMEOUT' });
  await secondFailure;
  let m = await scrape();
  t.is(sampleValue(m, 'quancun_saf_depth'), 1);
  t.is(sampleValue(m, 'quancun_bank_unanswered_total', { bank: 'unionpay', op: 'transfer' }), 1);
  t.true(sampleValue(m, 'quancun_bank_unanswered_total', { bank: 'unionpay', op: 'reversal' }) >= 1);
  let health = await system.gateway.health.check();
  t.is(health.status, 'degraded');
  t.is(health.checks.reversals!.status, 'degraded');
  t.regex(health.reasons[0]!, /1 of 1 owed reversal\(s\) unconfirmed after 2 or more tries/);

  system.bank.setBehaviour({ silence: false });
  await once(reversals, 'confirmed');
  m = await scrape();
  t.is(sampleValue(m, 'quancun_saf_depth'), 0);
  t.is(sampleValue(m, 'quancun_loads_total', { outcome: 'reversed' }), 1);
  t.is((await system.gateway.health.check()).status, 'ok');

  const down = once(system.gateway.fleet, 'link');
  await broker.stop();
  t.deepEqual(await down, [false]);
  health = await system.gateway.health.check();
  t.is(health.status, 'failing');
  t.is(health.checks.broker!.status, 'failing');
  t.deepEqual(health.reasons, ['not connected to the broker: no kiosk is served']);
});
