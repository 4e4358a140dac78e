/**
 * The PIN pad contract: every backend (the in-process simulator, the driver over a socat pty pair) runs these.
 * Expected blocks were computed outside this code base:
 *   format 0 of PIN 1234 / pan12 123456789012 = 041226CBA9876FED, PIN 123456 = 06122662A9876FED (by hand), then
 *   `openssl enc -des-ede -K 0123456789ABCDEFFEDCBA9876543210 -nopad` -> 21B97251DB63358D and 2A084C604973D4AE;
 *   key check value (same command on 8 zero bytes) 08D7B4FB...
 * Key loading: the pad's factory transport key is 149376684457B33753DE961CBE43357F. The new key A1A2A3A4A5A6A7A8B1B2B3B4B5B6B7B8 under it
 * (`openssl enc -des-ede -nopad -K 1493...357F`) is 2B677F3291E1CA96CAA46F0006A08C46, under TEST_KEY instead
 * 720D29FF7CEE3BD9BD6DCBEEC616646C; its check value 7B217F; PIN 1234's block under it 8530B90D956417CD.
 */
import test from 'ava';
import { once } from 'node:events';
import { QuancunError } from '../../common/errors.ts';
import type { SerialPinPad } from '../../hal/pin-pad/serial-pin-pad.ts';
import type { Keypad } from '../../sim/pin-pad/pin-pad-emulator.ts';

export const TEST_KEY = '0123456789ABCDEFFEDCBA9876543210';
export const PAD_SERIAL = 'PAD-0001';
export const TRANSPORT_KEY = '149376684457B33753DE961CBE43357F';
const NEW_KEY = 'A1A2A3A4A5A6A7A8B1B2B3B4B5B6B7B8';
const NEW_KEY_UNDER_TK = Buffer.from('2B677F3291E1CA96CAA46F0006A08C46', 'hex');
const PAN12 = '123456789012';

export interface PinPadRig {
  pinPad: SerialPinPad;
  keypad: Keypad;
  /** Inspector lines. */
  trace: string[];
  /** Keys the pad stored in its memory (hex), in order. */
  stored: string[];
  unplug(): Promise<void>;
  replug(): Promise<void>;
  close(): Promise<void>;
}

export function pinPadContract(backend: string, makeRig: () => Promise<PinPadRig>): void {
  const rigTest = (title: string, body: (t: import('ava').ExecutionContext, rig: PinPadRig) => Promise<void>) =>
    test.serial(`${backend}: ${title}`, async (t) => {
      const rig = await makeRig();
      t.teardown(() => rig.close());
      await rig.pinPad.start();
      t.true(rig.pinPad.ready, 'pad answered its first ping');
      await body(t, rig);
    });

  rigTest('returns the format-0 block encrypted under the pad key, and only digit counts on the way', async (t, { pinPad, keypad }) => {
    t.is(pinPad.keyCheckValue, '08D7B4');
    const progress: number[] = [];
    pinPad.on('progress', (n) => progress.push(n));
    const block = pinPad.readPinBlock({ pan12: PAN12 });
    await once(keypad, 'entry');
    keypad.type('1234');
    keypad.enter();
    t.is((await block).toString('hex').toUpperCase(), '21B97251DB63358D');
    t.deepEqual(progress, [1, 2, 3, 4]);
  });

  rigTest('ignores ENTER below the minimum and digits beyond the maximum; CLEAR and BACKSPACE count down', async (t, { pinPad, keypad }) => {
    const progress: number[] = [];
    pinPad.on('progress', (n) => progress.push(n));
    const block = pinPad.readPinBlock({ pan12: PAN12, minLength: 4, maxLength: 6 });
    await once(keypad, 'entry');
    keypad.type('999');
    keypad.press('BACKSPACE');
    keypad.press('CLEAR');
    keypad.type('123');
    keypad.enter(); // 3 digits: ignored
    keypad.type('4567890');
    keypad.enter();
    t.is((await block).toString('hex').toUpperCase(), '2A084C604973D4AE');
    t.deepEqual(progress, [1, 2, 3, 2, 0, 1, 2, 3, 4, 5, 6]);
  });

  rigTest('CANCEL on the keypad rejects with PIN_ENTRY_CANCELLED', async (t, { pinPad, keypad }) => {
    const block = pinPad.readPinBlock({ pan12: PAN12 });
    await once(keypad, 'entry');
    keypad.type('12');
    keypad.cancel();
    const err = await t.throwsAsync(block, { instanceOf: QuancunError });
    t.is(err?.code, 'PIN_ENTRY_CANCELLED');
    t.false(keypad.entryActive);
  });

  rigTest('an aborted entry cancels on the pad too, and the next entry works', async (t, { pinPad, keypad }) => {
    const controller = new AbortController();
    const block = pinPad.readPinBlock({ pan12: PAN12, signal: controller.signal });
    await once(keypad, 'entry');
    keypad.type('99');
    const idle = once(keypad, 'idle');
    controller.abort();
    t.is((await t.throwsAsync(block, { instanceOf: QuancunError }))?.code, 'PIN_ENTRY_CANCELLED');
    await idle;
    const next = pinPad.readPinBlock({ pan12: PAN12 });
    await once(keypad, 'entry');
    keypad.type('1234');
    keypad.enter();
    t.is((await next).toString('hex').toUpperCase(), '21B97251DB63358D');
  });

  rigTest('the traffic inspector shows the frames with card digits, key counts and PIN block masked', async (t, { pinPad, keypad, trace }) => {
    const block = pinPad.readPinBlock({ pan12: PAN12 });
    await once(keypad, 'entry');
    keypad.type('1234');
    keypad.enter();
    await block;
    const text = trace.join('\n');
    // E frame: STX "E|" then 12 masked digits, then "|4|12" ETX LRC on the next row
    t.true(text.includes('pin-pad tx 0000  02 45 7c 2a 2a 2a 2a 2a 2a 2a 2a 2a 2a 2a 2a 7c  |.E|************||'), text);
    t.true(text.includes('pin-pad tx 0010  34 7c 31 32 03'), text);
    t.true(text.includes('pin-pad rx 0000  02 4b 7c 2a 03 1e'), 'key count masked');
    t.true(text.includes('pin-pad rx 0000  02 42 7c 2a 2a 2a 2a 2a 2a 2a 2a 2a 2a 2a 2a 2a'), 'block frame shown masked');
    t.false(/31 32 33 34 35 36 37 38 39 30 31 32|123456789012/.test(text), 'pan12 never shown');
    t.false(/21B97251|32 31 42 39/i.test(text), 'PIN block never shown');
    t.false(/K\|[0-9]/.test(text), 'key counts never shown');
  });

  rigTest('a pad unplugged mid-entry rejects with DEVICE_UNAVAILABLE and a fault, then recovers by itself', async (t, rig) => {
    const { pinPad, keypad } = rig;
    const block = pinPad.readPinBlock({ pan12: PAN12 });
    await once(keypad, 'entry');
    const fault = once(pinPad, 'fault');
    await rig.unplug();
    t.is((await t.throwsAsync(block, { instanceOf: QuancunError }))?.code, 'DEVICE_UNAVAILABLE');
    t.is(((await fault)[0] as QuancunError).code, 'DEVICE_UNAVAILABLE');
    t.false(pinPad.ready);
    const ready = once(pinPad, 'ready');
    await rig.replug();
    await ready;
    const next = pinPad.readPinBlock({ pan12: PAN12 });
    await once(keypad, 'entry');
    keypad.type('1234');
    keypad.enter();
    t.is((await next).toString('hex').toUpperCase(), '21B97251DB63358D');
  });

  rigTest('I reports the pad serial and the check value of its key', async (t, { pinPad }) => {
    t.deepEqual(await pinPad.info(), { serial: PAD_SERIAL, keyCheckValue: '08D7B4' });
  });

  rigTest('L loads a key sent under the transport key: stored, reported, and PINs are encrypted under it', async (t, { pinPad, keypad, stored, trace }) => {
    await pinPad.loadKey(NEW_KEY_UNDER_TK, '7B217F');
    t.deepEqual(stored, [NEW_KEY]);
    t.deepEqual(await pinPad.info(), { serial: PAD_SERIAL, keyCheckValue: '7B217F' });
    const block = pinPad.readPinBlock({ pan12: PAN12 });
    await once(keypad, 'entry');
    keypad.type('1234');
    keypad.enter();
    t.is((await block).toString('hex').toUpperCase(), '8530B90D956417CD');
    const text = trace.join('\n');
    // L frame: STX "L|" then the 32 characters of the encrypted key masked
    t.true(text.includes('pin-pad tx 0000  02 4c 7c 2a 2a 2a 2a 2a 2a 2a 2a 2a 2a 2a 2a 2a  |.L|*************|'), text);
    t.false(/2B677F32|32 42 36 37 37 46|A1A2A3A4|41 31 41 32/i.test(text), 'neither the encrypted nor the clear key shown');
  });

  rigTest('L with a check value that does not match is PAD_KEY_REFUSED and the pad keeps its key', async (t, { pinPad, stored }) => {
    const err = await t.throwsAsync(pinPad.loadKey(NEW_KEY_UNDER_TK, '08D7B4'), { instanceOf: QuancunError });
    t.is(err?.code, 'PAD_KEY_REFUSED');
    t.is(err?.details.reason, 'KCV');
    // the right check value, but the key encrypted under another key than this pad's transport key
    t.is((await t.throwsAsync(pinPad.loadKey(Buffer.from('720D29FF7CEE3BD9BD6DCBEEC616646C', 'hex'), '7B217F'), { instanceOf: QuancunError }))?.code, 'PAD_KEY_REFUSED');
    t.deepEqual(stored, []);
    t.deepEqual(await pinPad.info(), { serial: PAD_SERIAL, keyCheckValue: '08D7B4' });
    t.true(pinPad.ready, 'still healthy: pings went on around the refused loads');
  });

  rigTest('a key load is refused while a PIN entry runs, without disturbing the entry', async (t, { pinPad, keypad, stored }) => {
    const block = pinPad.readPinBlock({ pan12: PAN12 });
    await once(keypad, 'entry');
    t.is((await t.throwsAsync(pinPad.loadKey(NEW_KEY_UNDER_TK, '7B217F'), { instanceOf: QuancunError }))?.code, 'TXN_STATE');
    keypad.type('1234');
    keypad.enter();
    t.is((await block).toString('hex').toUpperCase(), '21B97251DB63358D');
    t.deepEqual(stored, []);
  });
}
