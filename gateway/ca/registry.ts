/**
 * The campus CA's registry: enrolment codes (only their SHA-256) and enrolled kiosks, one shared JSON document
 * (common/store/shared-json.ts): `quancun ca` changes it while the gateway runs. A file in the CA's folder beside
 * LevelDB; a row of the database with PostgreSQL, so a standby gateway on another host admits the same kiosks. The
 * gateway (its kiosk check, `cached`) and the broker's ACL generator read it.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { caDir, type LoadedConfig } from '../../common/config.ts';
import { fileStorage, SharedJson, type DocumentStorage } from '../../common/store/shared-json.ts';
import { documentStorage } from '../store/shared-documents.ts';

const isoTime = z.iso.datetime();

const codeRecordSchema = z.object({
  /** Names the code in listings and `quancun ca revoke-code`; unrelated to the code itself. */
  id: z.string().regex(/^[0-9a-f]{8}$/),
  kioskId: z.string().min(1),
  /** SHA-256 of the code as typed (uppercase, with dashes), hex. The code itself is never stored. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  issuedAt: isoTime,
  expiresAt: isoTime,
  /** The code may bind the kiosk id to a different board than the one it is bound to (a board swap). */
  replaceBoard: z.boolean(),
  usedAt: isoTime.optional(),
  revokedAt: isoTime.optional(),
});

const kioskRecordSchema = z.object({
  kioskId: z.string().min(1),
  terminalId: z.string(),
  /** From the board's identity EEPROM: the kiosk id stays bound to it. */
  boardSerial: z.string().min(1),
  location: z.string(),
  /** The certificate of the latest enrolment, hex serial and SHA-256 fingerprint of its DER. */
  certSerial: z.string().regex(/^[0-9a-f]+$/),
  certFingerprint: z.string().regex(/^[0-9A-F]{64}$/),
  certNotAfter: isoTime,
  enrolledAt: isoTime,
  revokedAt: isoTime.optional(),
});

/** A gateway's or operator's certificate the CA issued: the broker's ACL names each of these identities. */
const clientRecordSchema = z.object({
  identity: z.string().regex(/^(gateway|operator)\.[A-Za-z0-9][A-Za-z0-9_-]*$/),
  certSerial: z.string().regex(/^[0-9a-f]+$/),
  issuedAt: isoTime,
});

const registrySchema = z.object({
  version: z.literal(1),
  codes: z.array(codeRecordSchema),
  kiosks: z.record(z.string(), kioskRecordSchema),
  clients: z.array(clientRecordSchema).default([]),
});

export type CodeRecord = z.output<typeof codeRecordSchema>;
export type KioskRecord = z.output<typeof kioskRecordSchema>;
export type Registry = z.output<typeof registrySchema>;

const empty = (): Registry => ({ version: 1, codes: [], kiosks: {}, clients: [] });

export class CaRegistry extends SharedJson<typeof registrySchema> {
  constructor(storage: DocumentStorage) {
    super(storage, registrySchema, empty);
  }

  /** The file in a CA's folder (`registry.json`, its lock `registry.lock`). */
  static inFolder(dir: string): CaRegistry {
    return new CaRegistry(fileStorage(join(dir, 'registry.json')));
  }

  /** Where the gateway's config keeps it: the file in its CA folder, or the row of its PostgreSQL store. */
  static of(loaded: LoadedConfig, dataDir?: string): CaRegistry {
    return new CaRegistry(documentStorage(loaded, 'ca-registry', join(caDir(loaded, dataDir), 'registry.json')));
  }
}
