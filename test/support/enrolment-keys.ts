/**
 * The gateway's side of a kiosk enrolment in tests that drive KioskEnrolment directly: a key store with a PIN master
 * key and a PIN pad transport master key, and the callbacks the gateway gives an enrolment.
 */
import { KeyStore } from '../../gateway/keystore/key-store.ts';

export const ENROLMENT_KEYS = new KeyStore({
  issuer: { load: Buffer.alloc(16, 1), purchase: Buffer.alloc(16, 2), tac: Buffer.alloc(16, 3) },
  pinMasterKey: Buffer.from('A1B2C3D4E5F60718293A4B5C6D7E8F90', 'hex'),
  padTransportMasterKey: Buffer.from('3C4D5E6F708192A3B4C5D6E7F8091A2B', 'hex'),
});

/** What the gateway gives `enrol`: the pad's PIN key from ENROLMENT_KEYS, and the kiosk's highest transaction number known. */
export const fromGateway = (txnSeqFloor: number) => ({
  pinKeyFor: (terminalId: string, padSerial: string) => ENROLMENT_KEYS.pinKeyForPad(terminalId, padSerial), txnSeqFloor,
});
