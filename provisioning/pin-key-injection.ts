/**
 * Key injection for a kiosk's PIN pad, done once at provisioning in a secure room: the pad receives its own key,
 * diversified from the campus PIN master key by the kiosk's terminal id. Only this step and the gateway key store
 * ever see the master key; the kiosk runtime never does.
 */
import type { Config } from '../common/config.ts';
import { kioskPinKey } from '../gateway/keystore/kiosk-keys.ts';
import { padMemoryPath, writePadKey } from '../sim/pin-pad/pad-memory.ts';

export function pinPadKeyFor(config: Config, terminalId: string): Buffer {
  return kioskPinKey(Buffer.from(config.issuer.pinMasterKey, 'hex'), terminalId);
}

/** Injects a simulated pad's key into its memory, as a station does for a real one, before the kiosk starts. */
export async function injectSimPinPadKey(config: Config, kiosk: { id: string; terminalId: string }, dataDir: string): Promise<void> {
  await writePadKey(padMemoryPath(dataDir, kiosk.id), pinPadKeyFor(config, kiosk.terminalId));
}
