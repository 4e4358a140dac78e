/**
 * Kiosk PIN keys: each kiosk's PIN pad holds its own key, diversified from the campus PIN master key by the kiosk's
 * terminal id, so a key pulled out of one PIN pad opens no other. The key-injection step of provisioning and the
 * gateway key store compute it the same way; nothing else may.
 */
import { diversifyKey } from '../../common/crypto/pboc.ts';
import { QuancunError } from '../../common/errors.ts';

export function kioskPinKey(pinMasterKey: Buffer, terminalId: string): Buffer {
  if (!/^[0-9A-F]{12}$/i.test(terminalId)) throw new QuancunError('CONFIG_INVALID', `terminal id must be 12 hex digits: ${terminalId}`);
  return diversifyKey(pinMasterKey, Buffer.from(`0000${terminalId}`, 'hex'));
}
