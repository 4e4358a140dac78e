/**
 * The QR codes quancun draws are real: zbarimg (Debian zbar-tools), not our encoder, reads the transaction id back from
 * the receipt preview (printed through ESC/POS and parsed by the emulator) and from the kiosk's receipt screen.
 */
import test from 'ava';
import { createCanvas, loadImage } from '@napi-rs/canvas';
import { PngSnapshotDisplay } from '../../hal/display/png-snapshot.ts';
import { formatReceipt } from '../../hal/printer/receipt.ts';
import type { CardSession } from '../../runtime/flows/card-session.ts';
import type { CollectOutcome } from '../../runtime/flows/collect/collect-flow.ts';
import { FLOWS } from '../../runtime/flows/registry.ts';
import { collectReceipt } from '../../runtime/ui/load-result.ts';
import { ScreenHost } from '../../screens/screen-host.ts';
import { sampleViews } from '../../screens/sample-views.ts';
import { printOnEmulator, SAMPLE } from '../../sim/printer/render-sample.ts';
import { renderReceiptPng } from '../../sim/printer/render.ts';
import { zbarQrCodes } from '../support/zbar.ts';

for (const lang of ['zh', 'en'] as const) {
  test(`the ${lang} load receipt's preview carries a QR code that zbarimg decodes to the transaction id`, async (t) => {
    const png = renderReceiptPng(await printOnEmulator(SAMPLE, lang), { columns: 32 });
    t.deepEqual(await zbarQrCodes(t, png), ['20261128120412000317']);
  });
}

test('a collect receipt: its own title and the collect\'s transaction id in a QR code zbarimg reads', async (t) => {
  const session = { asn: '31030000002023010001' } as CardSession;
  const outcomes: CollectOutcome[] = [{
    txnId: 'K001-00000007', pendingId: 'K002-00000003', source: 'load', state: 'completed', amount: 5000, cardAfter: 6000, tac: '5E6F7A8B', tacVerified: true, via: 'recredit',
  }];
  const where = { campus: '测试大学', kioskId: 'K001', timeZone: 'Asia/Shanghai' };
  const receipt = collectReceipt(outcomes, 6000, session, where)!;
  t.like(receipt, { txnRef: 'K001-00000007', wording: { zh: { title: '领款凭条' } }, amountFen: 5000, balanceAfterFen: 6000, maskedCard: '****0001' });
  const printed = await printOnEmulator(receipt, 'zh');
  t.true(printed.lines.some((l) => l.kind === 'text' && l.runs.some((r) => r.text.includes('领款凭条'))));
  t.deepEqual(await zbarQrCodes(t, renderReceiptPng(printed, { columns: 32 })), ['K001-00000007']);
  const notWritten: CollectOutcome = { txnId: 'K001-00000008', pendingId: 'K002-00000003', source: 'load', state: 'not-collected', amount: 5000, tacVerified: false, code: 'CARD_REMOVED' };
  t.is(collectReceipt([notWritten], 1000, session, where), undefined, 'nothing written, no receipt');
});

test('every receipt of every flow in the registry, in both languages, is titled with its operation and ends with the QR code of its reference', (t) => {
  t.deepEqual(FLOWS.map((flow) => [flow.kind, Object.keys(flow.receipts)]), [['load', ['load']], ['collect', ['collect', 'subsidy']], ['fee', ['fee']], ['fee-check', []]]);
  for (const flow of FLOWS) {
    for (const [name, wording] of Object.entries(flow.receipts)) {
      for (const lang of ['zh', 'en'] as const) {
        const doc = formatReceipt({ ...SAMPLE, wording, txnRef: 'K009-00000042' }, lang);
        t.true(doc.some((b) => b.kind === 'text' && b.text === wording[lang].title), `${name} ${lang}: its title`);
        t.deepEqual(doc.filter((b) => b.kind === 'qr'), [{ kind: 'qr', data: 'K009-00000042', size: 5 }], `${name} ${lang}`);
      }
    }
  }
});

test('the preview draws modules at the printer\'s module size: a finder pattern is 7 modules wide', async (t) => {
  for (const moduleSize of [3, 5]) {
    const png = renderReceiptPng({ lines: [{ kind: 'qr', align: 'left', data: 'K001-00000001', moduleSize }], cut: 'partial' }, { columns: 32 });
    const image = await loadImage(png);
    const canvas = createCanvas(image.width, image.height);
    const ctx = canvas.getContext('2d');
    ctx.drawImage(image, 0, 0);
    const { data, width, height } = ctx.getImageData(0, 0, image.width, image.height);
    const dark = (x: number, y: number) => data[(y * width + x) * 4]! < 64;
    // The symbol's top row starts with the top edge of the top-left finder pattern: a run of 7 dark modules.
    let top = -1;
    for (let y = 0; y < height && top < 0; y++) for (let x = 0; x < width; x++) if (dark(x, y)) { top = y; break; }
    const left = [...Array(width).keys()].find((x) => dark(x, top))!;
    let run = 0;
    while (dark(left + run, top)) run++;
    t.is(run, 7 * moduleSize, `module size ${moduleSize}`);
    t.deepEqual(await zbarQrCodes(t, png), ['K001-00000001']);
  }
});

for (const { width, height } of [{ width: 800, height: 480 }, { width: 1024, height: 600 }, { width: 1080, height: 1920 }]) {
  test(`the receipt screen's QR code decodes to the transaction id at ${width}x${height}`, async (t) => {
    for (const name of ['receipt', 'receipt-paper-out']) {
      const display = new PngSnapshotDisplay({ width, height });
      await new ScreenHost({ display, width, height }).render(sampleViews('zh').find((s) => s.name === name)!.view);
      t.deepEqual(await zbarQrCodes(t, await display.png()), ['20261128120412000317'], name);
    }
  });
}
