/** Hex, big-endian and BCD helpers, with the bytes written out by hand. */
import test from 'ava';
import { bcdDate, bcdTime, fromBcd, fromHex, toBcd, toHex, uintBE } from '../../common/bytes.ts';
import { campusTime } from '../../common/campus-time.ts';

test('hex parses with spaces, checks digits and length, prints upper case', (t) => {
  t.is(toHex(fromHex('a0 00 00 00 03')), 'A000000003');
  t.throws(() => fromHex('ABC'), { instanceOf: RangeError });
  t.throws(() => fromHex('GG'), { instanceOf: RangeError });
  t.throws(() => fromHex('0011', 3), { instanceOf: RangeError });
});

test('unsigned big-endian fields refuse what does not fit', (t) => {
  t.is(toHex(uintBE(5000, 4)), '00001388');
  t.is(toHex(uintBE(0xffff, 2)), 'FFFF');
  t.throws(() => uintBE(0x10000, 2), { instanceOf: RangeError });
  t.throws(() => uintBE(-1, 4), { instanceOf: RangeError });
  t.throws(() => uintBE(1.5, 4), { instanceOf: RangeError });
});

test('BCD digits, dates and times', (t) => {
  t.is(toHex(toBcd('123456')), '123456');
  t.throws(() => toBcd('12345'), { instanceOf: RangeError });
  t.is(fromBcd(fromHex('20240915')), '20240915');
  t.throws(() => fromBcd(fromHex('12345F')), { instanceOf: RangeError });
  t.is(toHex(bcdDate('20240915')), '20240915');
  t.is(toHex(bcdTime('143005')), '143005');
  // A card command's date and time are the campus's: 2024-09-05 00:07:06 UTC is 08:07:06 in Beijing.
  const at = campusTime(new Date(Date.UTC(2024, 8, 5, 0, 7, 6)), 'Asia/Shanghai');
  t.is(toHex(bcdDate(at.dateDigits)), '20240905');
  t.is(toHex(bcdTime(at.timeDigits)), '080706');
  t.throws(() => bcdDate('2024-09-15'), { instanceOf: RangeError });
});
