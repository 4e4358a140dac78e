/** Money is always integer fen (分). Parsing is strict: what a cardholder or config types either is a valid amount or an error. */
import { QuancunError } from './errors.ts';

const AMOUNT = /^(0|[1-9]\d{0,8})(\.\d{1,2})?$/;

/** "50", "50.0", "50.00" -> 5000. Rejects negatives, exponents, more than 2 decimals, empty, non-numeric. */
export function parseYuan(text: string): number {
  const trimmed = text.trim();
  if (!AMOUNT.test(trimmed)) throw new QuancunError('AMOUNT_INVALID', `not an amount in yuan: ${JSON.stringify(text)}`);
  const [whole, frac = ''] = trimmed.split('.');
  const fen = Number(whole) * 100 + Number((frac + '00').slice(0, 2));
  if (fen <= 0) throw new QuancunError('AMOUNT_INVALID', 'amount must be greater than zero');
  return fen;
}

export function formatYuan(fen: number): string {
  const sign = fen < 0 ? '-' : '';
  const abs = Math.abs(fen);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}
