import test from 'ava';
import { renderMqttApiDoc } from '../../scripts/gen-mqtt-docs.ts';

test('the doc shows every topic and operation', (t) => {
  const doc = renderMqttApiDoc();
  for (const needle of [
    '`quancun/v1/kiosk/{kioskId}/request/{op}`', '`quancun/v1/kiosk/{kioskId}/response/{op}`', '`quancun/v1/kiosk/{kioskId}/state`',
    '`quancun/v1/kiosk/{kioskId}/event/{kind}`', '`quancun/v1/gateway/state`',
    '### card.lookup', '### load.authorize', '### load.confirm', '### load.abandon', '### txn.status', '## Gateway load states', '| `mac2-issued` |', '### txn', '### fault',
  ]) {
    t.true(doc.includes(needle), needle);
  }
});
