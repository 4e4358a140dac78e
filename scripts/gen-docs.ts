/**
 * Writes the documents generated from code, so they cannot drift from it: docs/mqtt-api.md from the topic module,
 * docs/errors.md from the error codes. Run: npx tsx scripts/gen-docs.ts (test/unit/generated-docs.test.ts fails when a
 * committed one is stale).
 */
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { ERRORS_DOC, renderErrorsDoc } from './gen-error-docs.ts';
import { MQTT_API_DOC, renderMqttApiDoc } from './gen-mqtt-docs.ts';

export const GENERATED_DOCS: ReadonlyArray<{ path: string; render: () => string }> = [
  { path: MQTT_API_DOC, render: renderMqttApiDoc },
  { path: ERRORS_DOC, render: renderErrorsDoc },
];

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const doc of GENERATED_DOCS) {
    writeFileSync(doc.path, doc.render());
    console.log(`wrote ${doc.path}`);
  }
}
