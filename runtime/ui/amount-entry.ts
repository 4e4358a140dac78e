/**
 * The amount keypad: the cardholder types whole yuan, the screen keeps fen. Pure functions, so what a key does to
 * the amount is testable without a screen.
 */
import type { KeypadKey } from '../../screens/view-model.ts';

/** Up to 999 999 yuan can be typed: enough to reach any limit, so a too-large amount gets its error code on screen. */
const MAX_YUAN_DIGITS = 6;

/** The smallest amount the keypad can express (one yuan); below it nothing is typed. */
export const MIN_TYPED_FEN = 100;

/** The amount after a digit or delete key; 'ok' is not an edit and leaves it as it is. */
export function editAmount(entered: number | null, key: KeypadKey): number | null {
  const digits = entered === null ? '' : String(Math.floor(entered / 100));
  if (key === 'ok') return entered;
  const next = key === 'del' ? digits.slice(0, -1) : digits.length < MAX_YUAN_DIGITS ? `${digits}${key}`.replace(/^0+/, '') : digits;
  return next === '' ? null : Number(next) * 100;
}
