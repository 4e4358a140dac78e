/**
 * Run in the guest: the project's GPIO backend (onoff on sysfs) watches the door line (offset 0 of the chip labelled
 * "quancun-board"), writes the edges seen so far as a JSON array to the file given (`[]` once the watch is in place)
 * and prints {line, edges} as JSON after `count` edges. Edges come from gpio-sim's simulated interrupts.
 *   node --import tsx /opt/quancun/test/board/in-guest/gpio-probe.ts /srv/exchange/gpio-edges.json 2
 */
import { rename, writeFile } from 'node:fs/promises';
import { resolveGpioLine } from '../../../hal/gpio/line-numbers.ts';
import { createOnoffBackend } from '../../../hal/gpio/onoff-backend.ts';

const [progressFile, count] = [process.argv[2]!, Number(process.argv[3])];
const line = await resolveGpioLine(0, { chipLabel: 'quancun-board' });
const door = createOnoffBackend().input(line, { activeLow: false });
const edges: number[] = [];
/** Written whole, then renamed over the file: the host polls it through the shared folder and must never read half. */
const progress = async (seen: number[]) => {
  await writeFile(`${progressFile}.tmp`, JSON.stringify(seen));
  await rename(`${progressFile}.tmp`, progressFile);
};
door.watch((value) => {
  edges.push(value);
  if (edges.length < count) return void progress(edges);
  console.log(JSON.stringify({ line, edges }));
  door.close();
  process.exit(0);
});
await progress([]);
