/**
 * Run in the guest: draws kiosk views with the kiosk's own screen code, fonts and canvas as they are in the guest (no
 * system fonts there, unlike the host), so the board tests compare the guest's screen with what the guest itself
 * draws for the expected view. Reads [{ file, view }] from the JSON file given, writes each PNG beside it.
 *   node --import tsx /opt/quancun/test/board/in-guest/render-views.ts /srv/exchange/views.json 1280 800
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PngSnapshotDisplay } from '../../../hal/display/png-snapshot.ts';
import { ScreenHost } from '../../../screens/screen-host.ts';
import type { KioskView } from '../../../screens/view-model.ts';

const [list, width, height] = [process.argv[2]!, Number(process.argv[3]), Number(process.argv[4])];
for (const { file, view } of JSON.parse(readFileSync(list, 'utf8')) as Array<{ file: string; view: KioskView }>) {
  const display = new PngSnapshotDisplay({ width, height });
  await new ScreenHost({ display, width, height }).render(view);
  await display.save(join(dirname(list), file));
}
console.log('drawn');
