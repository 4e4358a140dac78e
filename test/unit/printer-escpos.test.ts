/**
 * ESC/POS bytes against values written down by hand (GB18030 from `iconv -f UTF-8 -t GB18030`), DLE EOT status bits,
 * the emulator's parser on split chunks, and the receipt PNG.
 */
import test from 'ava';
import { encodeEscPos, parseStatus } from '../../hal/printer/escpos.ts';
import { pairLines, textWidth } from '../../hal/printer/document.ts';
import { EscPosParser } from '../../sim/printer/escpos-parser.ts';
import { printOnEmulator, SAMPLE } from '../../sim/printer/render-sample.ts';
import { renderReceiptPng } from '../../sim/printer/render.ts';

const hex = (b: Buffer) => b.toString('hex').replace(/(..)(?!$)/g, '$1 ');

test('a Chinese line goes as FS & + GB18030 + FS ., ASCII through the encoder, then LF', (t) => {
  const bytes = encodeEscPos([{ kind: 'pair', left: '圈存金额', right: '100.00元' }], { columns: 32 });
  // ESC @, FS . , ESC M 0 (encoder's initialise), then the line: 圈存金额 (8 cells) + 16 spaces + 100.00 + 元 (2 cells)
  t.is(
    hex(bytes),
    '1b 40 1c 2e 1b 4d 00 ' +
      '1c 26 c8 a6 b4 e6 bd f0 b6 ee 1c 2e ' +
      '1b 74 00 ' + '20 '.repeat(16) + '31 30 30 2e 30 30 ' +
      '1c 26 d4 aa 1c 2e 0a',
  );
});

test('the QR code stores the reference with GS ( k and prints it; the cut is GS V 1', (t) => {
  const bytes = encodeEscPos([{ kind: 'qr', data: 'TXN0001', size: 5 }, { kind: 'cut' }], { columns: 32 });
  const text = hex(bytes);
  // store: pL = 7 + 3 = 0x0a, cn 0x31, fn 0x50, m 0x30, then ASCII TXN0001
  t.true(text.includes('1d 28 6b 0a 00 31 50 30 54 58 4e 30 30 30 31'), text);
  t.true(text.includes('1d 28 6b 03 00 31 43 05'), 'module size 5');
  t.true(text.includes('1d 28 6b 03 00 31 51 30'), 'print symbol');
  t.true(text.endsWith('1d 56 01 0a'), 'partial cut');
});

test('DLE EOT answers: paper near end, paper out (printer offline because of it), cover open, offline', (t) => {
  t.deepEqual(parseStatus(0x12, 0x12, 0x12), { online: true, coverOpen: false, paperOut: false, paperNearEnd: false });
  t.deepEqual(parseStatus(0x12, 0x12, 0x1e), { online: true, coverOpen: false, paperOut: false, paperNearEnd: true });
  t.deepEqual(parseStatus(0x1a, 0x32, 0x7e), { online: true, coverOpen: false, paperOut: true, paperNearEnd: true });
  t.deepEqual(parseStatus(0x1a, 0x16, 0x12), { online: true, coverOpen: true, paperOut: false, paperNearEnd: false });
  t.deepEqual(parseStatus(0x1a, 0x52, 0x12), { online: false, coverOpen: false, paperOut: false, paperNearEnd: false });
});

test('layout counts a CJK character as two cells and moves a value that does not fit to its own line', (t) => {
  t.is(textWidth('圈存 100.00元'), 13);
  t.deepEqual(pairLines('金额', '12.00', 10), ['金额 12.00']);
  t.deepEqual(pairLines('银行参考号', '123456', 10), ['银行参考号', '    123456']);
});

test('the parser decodes GB18030 (2- and 4-byte) split across chunks', (t) => {
  const parser = new EscPosParser();
  // FS & 圈 (c8 a6) € (GB18030 four bytes a2 e3 is 2-byte; use U+20AC = a2 e3) and 𠀀 (U+20000 = 95 32 82 36) FS .
  const stream = Buffer.from('1c26c8a6a2e3953282361c2e0a', 'hex');
  const ops = [...parser.push(stream.subarray(0, 3)), ...parser.push(stream.subarray(3, 7)), ...parser.push(stream.subarray(7))];
  const text = ops.filter((o) => o.op === 'text').map((o) => (o.op === 'text' ? o.text : '')).join('');
  t.is(text, '圈€\u{20000}');
  t.is(ops.at(-1)?.op, 'newline');
});

test('the receipt renders to a PNG 32 cells wide', async (t) => {
  const png = renderReceiptPng(await printOnEmulator(SAMPLE, 'zh'), { columns: 32 });
  t.is(png.subarray(0, 8).toString('hex'), '89504e470d0a1a0a');
  t.is(png.readUInt32BE(16), 32 * 12 + 32);
});
