import test, { type ExecutionContext } from 'ava';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseInputEvents, resolveRecordSize } from '../../hal/touch/input-event.ts';
import { calibrateTouch, EvdevTouch, mapTouch, type TouchMapping } from '../../hal/touch/evdev-touch.ts';
import { EvdevKeypad, type HardKey } from '../../hal/touch/evdev-keypad.ts';
import { tempDir } from '../support/temp-dir.ts';

/** One record written field by field: timeval (2 x u32 or 2 x s64), u16 type, u16 code, s32 value, little-endian. */
function rec(size: 16 | 24, type: number, code: number, value: number, sec = 1_764_331_380, usec = 250_000): Buffer {
  const b = Buffer.alloc(size);
  if (size === 16) {
    b.writeUInt32LE(sec, 0);
    b.writeUInt32LE(usec, 4);
  } else {
    b.writeBigInt64LE(BigInt(sec), 0);
    b.writeBigInt64LE(BigInt(usec), 8);
  }
  const p = size - 8;
  b.writeUInt16LE(type, p);
  b.writeUInt16LE(code, p + 2);
  b.writeInt32LE(value, p + 4);
  return b;
}

const EV_SYN = 0, EV_KEY = 1, EV_ABS = 3;
const ABS_X = 0x00, ABS_Y = 0x01, ABS_MT_X = 0x35, ABS_MT_Y = 0x36, BTN_TOUCH = 0x14a, BTN_LEFT = 0x110;

test('16- and 24-byte records written out in hex parse to their fields', (t) => {
  // sec=0x6929b474 usec=250000, EV_ABS ABS_MT_POSITION_X 1000
  const r16 = Buffer.from('74b42969' + '90d00300' + '0300' + '3500' + 'e8030000', 'hex');
  const r24 = Buffer.from('74b4296900000000' + '90d0030000000000' + '0100' + '4a01' + 'ffffffff', 'hex');
  t.deepEqual(parseInputEvents(r16, 16).events, [{ sec: 0x6929b474, usec: 250_000, type: 3, code: 0x35, value: 1000 }]);
  t.deepEqual(parseInputEvents(r24, 24).events, [{ sec: 0x6929b474, usec: 250_000, type: 1, code: 0x14a, value: -1 }]);
  t.deepEqual(rec(16, 3, 0x35, 1000, 0x6929b474), r16);
});

test('a record split across reads waits for its second half', (t) => {
  const two = Buffer.concat([rec(24, EV_ABS, ABS_X, 7), rec(24, EV_SYN, 0, 0)]);
  const first = parseInputEvents(two.subarray(0, 30), 24);
  t.is(first.events.length, 1);
  t.is(first.rest.length, 6);
  const second = parseInputEvents(Buffer.concat([first.rest, two.subarray(30)]), 24);
  t.deepEqual(second.events.map((e) => e.type), [EV_SYN]);
  t.is(second.rest.length, 0);
});

test('auto record size follows the word size of the process', (t) => {
  t.is(resolveRecordSize('auto', 'arm'), 16);
  t.is(resolveRecordSize('auto', 'arm64'), 24);
  t.is(resolveRecordSize('auto', 'x64'), 24);
  t.is(resolveRecordSize(16, 'x64'), 16);
});

test('calibration and rotation map raw panel values to screen pixels', (t) => {
  const m: TouchMapping = { width: 800, height: 480, calibration: { minX: 100, maxX: 3900, minY: 200, maxY: 3800 } };
  // Raw (100, 200) is the panel's origin; (3900, 200) its far x end; (2000, 2000) its centre.
  t.deepEqual(mapTouch(100, 200, m), { x: 0, y: 0 });
  t.deepEqual(mapTouch(2000, 2000, m), { x: 400, y: 240 }); // 0.5 * 799 = 399.5 -> 400, 0.5 * 479 = 239.5 -> 240
  t.deepEqual(mapTouch(1050, 1100, m), { x: 200, y: 120 }); // 0.25 * 799 = 199.75, 0.25 * 479 = 119.75
  t.deepEqual(mapTouch(100, 200, { ...m, rotation: 90 }), { x: 799, y: 0 });
  t.deepEqual(mapTouch(3900, 200, { ...m, rotation: 90 }), { x: 799, y: 479 });
  t.deepEqual(mapTouch(100, 200, { ...m, rotation: 180 }), { x: 799, y: 479 });
  t.deepEqual(mapTouch(100, 200, { ...m, rotation: 270 }), { x: 0, y: 479 });
  t.deepEqual(mapTouch(1050, 1100, { ...m, rotation: 270 }), { x: 200, y: 359 }); // (ny, 1 - nx) = (0.25, 0.75): 359.25
  t.deepEqual(mapTouch(0, 9999, m), { x: 0, y: 479 }, 'outside the calibrated range clamps to the edge');
  const flipped = { ...m, calibration: { minX: 3900, maxX: 100, minY: 200, maxY: 3800 } };
  t.deepEqual(mapTouch(3900, 200, flipped), { x: 0, y: 0 }, 'min above max flips the axis');
});

test('a touchscreen FIFO with 24-byte records gives down and up at calibrated positions', async (t) => {
  const dir = await tempDir(t);
  const fifo = join(dir, 'event0');
  execFileSync('mkfifo', [fifo]);
  const touch = new EvdevTouch({ device: fifo, recordSize: 24, width: 800, height: 480, calibration: { minX: 0, maxX: 4095, minY: 0, maxY: 4095 } });
  const seen: string[] = [];
  touch.on('down', (x, y) => seen.push(`down ${x},${y}`));
  touch.on('up', (x, y) => seen.push(`up ${x},${y}`));
  const ended = once(touch, 'end');
  touch.start();
  const writer = await open(fifo, 'w');
  await writer.write(Buffer.concat([
    rec(24, EV_ABS, ABS_X, 2048),
    rec(24, EV_ABS, ABS_Y, 1024),
    rec(24, EV_KEY, BTN_TOUCH, 1),
    rec(24, EV_SYN, 0, 0),
    rec(24, EV_ABS, ABS_X, 2100), // a move without press or release reports nothing
    rec(24, EV_SYN, 0, 0),
  ]));
  await writer.write(Buffer.concat([rec(24, EV_KEY, BTN_TOUCH, 0), rec(24, EV_SYN, 0, 0)]));
  await writer.close();
  await ended;
  touch.close();
  // 2048/4095*799 = 399.6 -> 400; 1024/4095*479 = 119.8 -> 120; 2100/4095*799 = 409.7 -> 410
  t.deepEqual(seen, ['down 400,120', 'up 410,120']);
});

/** The first press a touch panel reports from a recorded file of these events. */
async function firstDown(t: ExecutionContext, records: Buffer[], options: Omit<ConstructorParameters<typeof EvdevTouch>[0], 'device'>) {
  const file = join(await tempDir(t), 'event');
  await writeFile(file, Buffer.concat(records));
  const touch = new EvdevTouch({ device: file, ...options });
  const down = once(touch, 'down');
  touch.start();
  try {
    return await down;
  } finally {
    touch.close();
  }
}

test('a file of 16-byte multitouch records with a rotated panel', async (t) => {
  const records = [rec(16, EV_ABS, ABS_MT_X, 0), rec(16, EV_ABS, ABS_MT_Y, 0), rec(16, EV_KEY, BTN_TOUCH, 1), rec(16, EV_SYN, 0, 0)];
  t.deepEqual(await firstDown(t, records, { recordSize: 16, width: 1080, height: 1920, rotation: 90, calibration: { minX: 0, maxX: 1023, minY: 0, maxY: 599 } }), [1079, 0]);
});

test('a tablet-style panel (QEMU virtio-tablet, some USB panels) presses with BTN_LEFT over 0..32767 axes', async (t) => {
  const records = [rec(24, EV_ABS, ABS_X, 16384), rec(24, EV_ABS, ABS_Y, 8192), rec(24, EV_KEY, BTN_LEFT, 1), rec(24, EV_SYN, 0, 0)];
  // 16384/32767*1279 = 639.5 -> 640; 8192/32767*799 = 199.8 -> 200
  t.deepEqual(await firstDown(t, records, { recordSize: 24, width: 1280, height: 800, calibration: { minX: 0, maxX: 32767, minY: 0, maxY: 32767 } }), [640, 200]);
});

test('a hardware keypad FIFO: presses become keys, releases and auto-repeat do not', async (t) => {
  const dir = await tempDir(t);
  const fifo = join(dir, 'event2');
  execFileSync('mkfifo', [fifo]);
  const keypad = new EvdevKeypad({ device: fifo, recordSize: 16 });
  const keys: HardKey[] = [];
  keypad.on('key', (k) => keys.push(k));
  const ended = once(keypad, 'end');
  keypad.start();
  const writer = await open(fifo, 'w');
  await writer.write(Buffer.concat([
    rec(16, EV_KEY, 6, 1), rec(16, EV_KEY, 6, 2), rec(16, EV_KEY, 6, 0), rec(16, EV_SYN, 0, 0), // KEY_5 held
    rec(16, EV_KEY, 82, 1), rec(16, EV_KEY, 82, 0), // KEY_KP0
    rec(16, EV_KEY, 14, 1), // KEY_BACKSPACE
    rec(16, EV_KEY, 96, 1), // KEY_KPENTER
    rec(16, EV_KEY, 1, 1), // KEY_ESC
    rec(16, EV_KEY, 30, 1), // KEY_A: not a keypad key
  ]));
  await writer.close();
  await ended;
  keypad.close();
  t.deepEqual(keys, ['5', '0', 'del', 'ok', 'cancel']);
});

/*
 * Calibration from four touches. The panel really spans x 300..3800 and y 200..3900; the configured calibration says
 * 0..4095, so touches land off their targets. On a 1001 x 501 screen the targets are at 10% and 90% (x 100/900,
 * y 50/450). Worked by hand, rotation 0: target (100, 50) is raw (650, 570), which 0..4095 maps to
 * (650/4095*1000, 570/4095*500) = (158.7, 69.6) -> (159, 70); raw (3450, 3530) -> (842.5, 431.0) -> (842, 431).
 * Rotation 90 (screen x = 1 - panel y, screen y = panel x): target (100, 50) is panel fractions (0.1, 0.9), raw
 * (650, 3530) -> screen (1 - 3530/4095, 650/4095) = (0.138, 0.159) -> (138, 79); likewise (861, 79), (861, 421),
 * (138, 421). Back through the fit, each comes to the panel's true range give or take the pixel rounding.
 */
test('four touches at known targets give the panel\'s calibration back, for any rotation', (t) => {
  const targets = [{ x: 100, y: 50 }, { x: 900, y: 50 }, { x: 900, y: 450 }, { x: 100, y: 450 }];
  const seen = {
    0: [{ x: 159, y: 70 }, { x: 842, y: 70 }, { x: 842, y: 431 }, { x: 159, y: 431 }],
    90: [{ x: 138, y: 79 }, { x: 861, y: 79 }, { x: 861, y: 421 }, { x: 138, y: 421 }],
  } as const;
  for (const rotation of [0, 90] as const) {
    const m: TouchMapping = { width: 1001, height: 501, rotation, calibration: { minX: 0, maxX: 4095, minY: 0, maxY: 4095 } };
    const { calibration, worstErrorPx } = calibrateTouch(seen[rotation].map((screen, i) => ({ screen, target: targets[i]! })), m);
    const near = (value: number, truth: number) => t.true(Math.abs(value - truth) <= 5, `rotation ${rotation}: ${value} for ${truth}`);
    near(calibration.minX, 300);
    near(calibration.maxX, 3800);
    near(calibration.minY, 200);
    near(calibration.maxY, 3900);
    t.true(worstErrorPx <= 2, `rotation ${rotation}: every touch within 2 px of its target after calibration (${worstErrorPx})`);
  }
  // One touch that slipped (the bottom-left one 150 px off) cannot be fitted: the error says so.
  const slipped = [...seen[0].slice(0, 3), { x: 309, y: 431 }];
  t.true(calibrateTouch(slipped.map((screen, i) => ({ screen, target: targets[i]! })), { width: 1001, height: 501, calibration: { minX: 0, maxX: 4095, minY: 0, maxY: 4095 } }).worstErrorPx > 25);
});
