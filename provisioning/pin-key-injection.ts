/**
 * Key injection for a kiosk's PIN pad. On a board (`quancun provision`) the pad gets its key from the gateway's
 * enrolment, encrypted under the pad's own transport key, and checks it against its check value: the board never
 * holds the clear key. The simulators' station (`injectSimPinPadKey`) instead writes the key diversified from the
 * campus PIN master key by the terminal id straight into a simulated pad's memory, as a key-loading room would.
 */
import type { EnrolmentGrant } from './enrolment-client.ts';
import type { Config } from '../common/config.ts';
import { QuancunError } from '../common/errors.ts';
import type { PinPad } from '../hal/pin-pad/pin-pad.ts';
import { kioskPinKey } from '../gateway/keystore/kiosk-keys.ts';
import { padMemoryPath, writePadKey } from '../sim/pin-pad/pad-memory.ts';

export function pinPadKeyFor(config: Config, terminalId: string): Buffer {
  return kioskPinKey(Buffer.from(config.issuer.pinMasterKey, 'hex'), terminalId);
}

/** Injects a simulated pad's key into its memory, as a station does for a real one, before the kiosk starts. */
export async function injectSimPinPadKey(config: Config, kiosk: { id: string; terminalId: string }, dataDir: string): Promise<void> {
  await writePadKey(padMemoryPath(dataDir, kiosk.id), pinPadKeyFor(config, kiosk.terminalId));
}

/** Loads the enrolment's PIN key into the pad and reads back its check value; PAD_KEY_REFUSED when they differ. */
export async function loadEnrolledPinKey(pinPad: PinPad, pinKey: EnrolmentGrant['pinKey']): Promise<string> {
  await pinPad.loadKey(Buffer.from(pinKey.underTransportKey, 'hex'), pinKey.checkValue);
  const { keyCheckValue } = await pinPad.info();
  if (keyCheckValue?.toUpperCase() !== pinKey.checkValue) {
    throw new QuancunError('PAD_KEY_REFUSED', `the PIN pad reports check value ${keyCheckValue ?? 'NOKEY'} after the load, the enrolment's is ${pinKey.checkValue}`);
  }
  return keyCheckValue;
}
