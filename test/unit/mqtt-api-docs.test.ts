import test from 'ava';
import { readFileSync } from 'node:fs';
import { MQTT_API_DOC, renderMqttApiDoc } from '../../scripts/gen-mqtt-docs.ts';

test('docs/mqtt-api.md is what common/api/topics.ts generates today', (t) => {
  const committed = readFileSync(MQTT_API_DOC, 'utf8');
  t.true(committed === renderMqttApiDoc(), 'docs/mqtt-api.md is stale: run `npx tsx scripts/gen-mqtt-docs.ts` and commit it');
});

test('the doc shows every topic and operation', (t) => {
  const doc = renderMqttApiDoc();
  for (const needle of [
    '`quancun/v1/kiosk/{kioskId}/request/{op}`', '`quancun/v1/kiosk/{kioskId}/response/{op}`', '`quancun/v1/kiosk/{kioskId}/state`',
    '`quancun/v1/kiosk/{kioskId}/event/{kind}`', '`quancun/v1/gateway/state`',
    '### card.lookup', '### load.authorize', '### load.confirm', '### load.abandon', '### txn.status', '### txn', '### fault',
  ]) {
    t.true(doc.includes(needle), needle);
  }
});
