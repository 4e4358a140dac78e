/**
 * The cardholder's hand in a process of its own, for a tap the test's process must not see as it happens: a card in
 * a vpcd slot, and a PC/SC reader of its own to know when pcscd reported each change. Arguments: the slot's port,
 * its reader name and a folder. IPC `insert` and `remove` are answered once pcscd reported them; the file `go`
 * appearing in the folder takes the card out and puts it back, then writes `done` there (files, so a test whose
 * event loop is blocked can start and await it).
 */
import { once } from 'node:events';
import { watch } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PcscCardReader } from '../../hal/card-reader/pcsc-reader.ts';
import type { CardDevice } from '../../sim/card/card-device.ts';
import { VpcdConnector } from '../../sim/card/vpcd-connector.ts';

const [port, readerName, folder] = process.argv.slice(2) as [string, string, string];
const card: CardDevice = { atr: Buffer.from('3b8880017175616e63756e314b', 'hex'), reset: () => {}, transmit: () => Buffer.from([0x6d, 0x00]) };
const reader = new PcscCardReader({ readerName });
const connector = new VpcdConnector({ port: Number(port) });
const seen = async (event: 'present' | 'absent', act: () => Promise<void>) => {
  const reported = once(reader, event);
  await act();
  await reported;
};
const insert = () => seen('present', () => connector.insert(card));
const remove = () => seen('absent', () => connector.remove());

await reader.start();
const watcher = watch(folder, (_, name) => {
  if (name !== 'go') return;
  watcher.close();
  void remove().then(insert).then(() => writeFile(join(folder, 'done'), ''));
});
process.on('message', (op: 'insert' | 'remove') => void (op === 'insert' ? insert() : remove()).then(() => process.send!(op)));
process.once('disconnect', () => void connector.remove().then(() => reader.stop()).then(() => process.exit(0)));
process.send!('ready');
