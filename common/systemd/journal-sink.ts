/**
 * Log records to the systemd journal with their fields (sd_journal_send's native protocol): each record is one
 * entry with MESSAGE, PRIORITY, SYSLOG_IDENTIFIER and one QUANCUN_* field per logged field, so an operator can ask
 * `journalctl -u quancun-kiosk QUANCUN_TXN_ID=K001-00000042`. Used only when the journal is this process's output.
 */
import { existsSync } from 'node:fs';
import type { Level } from '../log.ts';
import { datagramSender } from './notify-socket.ts';

const SOCKET = '/run/systemd/journal/socket';
const PRIORITY: Record<Level, number> = { debug: 7, info: 6, warn: 4, error: 3 };

/** `txnId` → `QUANCUN_TXN_ID`: journal field names are upper case letters, digits and underscores. */
export function journalFieldName(key: string): string {
  return `QUANCUN_${key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/[^A-Za-z0-9]+/g, '_').toUpperCase()}`;
}

/** One field of the native protocol: `KEY=value\n`, or the length-prefixed form for a value with a newline. */
function field(name: string, value: string): Buffer {
  if (!value.includes('\n')) return Buffer.from(`${name}=${value}\n`);
  const bytes = Buffer.from(value);
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(bytes.length));
  return Buffer.concat([Buffer.from(`${name}\n`), length, bytes, Buffer.from('\n')]);
}

/** The datagram for one record (already redacted by the logger). */
export function journalEntry(identifier: string, record: Record<string, unknown>): Buffer {
  const { t: _time, level, msg, ...fields } = record;
  const parts = [
    field('MESSAGE', String(msg)),
    field('PRIORITY', String(PRIORITY[level as Level] ?? 6)),
    field('SYSLOG_IDENTIFIER', identifier),
  ];
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    parts.push(field(journalFieldName(key), typeof value === 'string' ? value : JSON.stringify(value)));
  }
  return Buffer.concat(parts);
}

/**
 * A logger sink writing to the journal when systemd connected this process's output to it (JOURNAL_STREAM), else
 * undefined. The journal's socket is what journald reads; a record that cannot be sent is dropped, never thrown.
 */
export function journalSink(identifier: string, env: NodeJS.ProcessEnv = process.env): ((line: string, record: Record<string, unknown>) => void) | undefined {
  if (!env.JOURNAL_STREAM || !existsSync(SOCKET)) return undefined;
  const sender = datagramSender(SOCKET);
  if (!sender) return undefined;
  return (_line, record) => sender.send(journalEntry(identifier, record));
}
