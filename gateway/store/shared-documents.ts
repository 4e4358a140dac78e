/**
 * Where the gateway's shared documents live (common/store/shared-json.ts): files beside a LevelDB store, rows of the
 * database with a PostgreSQL one (pg-document.ts), so a standby gateway on another host, and the commands an operator
 * runs on either host, read the same CA registry and console users as the gateway serving.
 */
import type { LoadedConfig } from '../../common/config.ts';
import { silentLogger, type Logger } from '../../common/log.ts';
import { fileStorage, type DocumentStorage } from '../../common/store/shared-json.ts';
import { pgDocument } from './pg-document.ts';

export type DocumentName = 'ca-registry' | 'console-users';

/** `file`: the document's file with LevelDB, and what a PostgreSQL row starts from until it is first written. */
export function documentStorage(loaded: LoadedConfig, name: DocumentName, file: string, log: Logger = silentLogger): DocumentStorage {
  const { store } = loaded.config;
  const onDisk = fileStorage(file);
  return store.backend === 'postgres' ? pgDocument({ url: store.url, name, importFrom: onDisk, log }) : onDisk;
}
