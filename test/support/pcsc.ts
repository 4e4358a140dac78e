/**
 * The real PC/SC stack in tests: scripts/test.sh runs a private pcscd with vpcd slots (QUANCUN_PCSCD=1, ports in
 * QUANCUN_VPCD_PORTS, reader names in QUANCUN_VPCD_READERS, a lock dir in QUANCUN_VPCD_LOCKS). Test files run in
 * parallel processes, so each test claims a free slot with a lock file, waiting for one if need be. Outside that script these helpers fail, never skip.
 */
import { watch } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { join } from 'node:path';
import { registerCompletionHandler, type ExecutionContext } from 'ava';
import { PcscCardReader, type PcscReaderOptions } from '../../hal/card-reader/pcsc-reader.ts';
import { createLogger, LogRing } from '../../common/log.ts';
import type { CardDevice } from '../../sim/card/card-device.ts';
import { VpcdConnector, vpcdSlotsFromEnv, type VpcdSlot } from '../../sim/card/vpcd-connector.ts';
import { startTestSystem, type TestSystem, type TestSystemOptions } from './kiosk-system.ts';

/**
 * pcsclite closes a context's event handle only when its status thread's last event reaches JS, and that event can
 * be swallowed by a close racing it (src/pcsclite.cpp: Close and HandleReaderStatusChange): the handle then keeps a
 * finished test process alive, and AVA reports a timeout for a file whose tests all passed. Seen once in a while in
 * CI; once AVA is done with a file that uses the real PC/SC stack, the process ends.
 */
registerCompletionHandler(() => process.exit());

/** Throws unless a private pcscd of scripts/test.sh is running. */
export function requirePrivatePcscd(): void {
  if (process.env.QUANCUN_PCSCD !== '1') {
    throw new Error(
      'this test needs the private pcscd with vpcd readers that scripts/test.sh starts: run it with `npm test -- <test file>` (as root), not with ava directly',
    );
  }
}

function list(name: string): string[] {
  requirePrivatePcscd();
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the tests with \`npm test\``);
  return value.split(',');
}

export function vpcdSlots(): VpcdSlot[] {
  requirePrivatePcscd();
  const slots = vpcdSlotsFromEnv();
  if (!slots) throw new Error('QUANCUN_VPCD_PORTS and QUANCUN_VPCD_READERS are not set: run the tests with `npm test`');
  return slots;
}

/** Port of vpcd slot `slot` (0-based, in the order scripts/test.sh lists them). */
export function vpcdPort(slot: number): number {
  const found = vpcdSlots()[slot];
  if (!found) throw new Error(`no vpcd slot ${slot}: scripts/test.sh declares ${vpcdSlots().length}`);
  return found.port;
}

/**
 * A slot no other test holds until release(): a lock file created with O_EXCL in the run's lock dir. When all are
 * taken, waits for a release (a change in the lock dir, watched before each scan so none is missed).
 */
export async function claimVpcdSlot(): Promise<VpcdSlot & { release(): Promise<void> }> {
  const dir = list('QUANCUN_VPCD_LOCKS')[0]!;
  const slots = vpcdSlots();
  const watcher = watch(dir);
  try {
    for (;;) {
      const changed = once(watcher, 'change');
      for (const slot of slots) {
        const lock = join(dir, `vpcd-${slot.port}.lock`);
        const handle = await open(lock, 'wx').catch(() => undefined);
        if (!handle) continue;
        await handle.writeFile(String(process.pid));
        await handle.close();
        return { ...slot, release: () => rm(lock, { force: true }) };
      }
      await changed;
    }
  } finally {
    watcher.close();
  }
}

/**
 * Takes the card out and waits until the reader saw it go: a slot handed to the next test with pcscd still
 * reporting the old card would give that test a card that is not there.
 */
export async function emptySlot(reader: PcscCardReader, connector: VpcdConnector): Promise<void> {
  const absent = reader.cardPresent && reader.ready ? once(reader, 'absent') : undefined;
  await connector.remove();
  await absent;
}

/** A new tap: the card taken out of the field if the reader sees it there, then put in, and seen by the reader. */
export async function tapAgain(reader: PcscCardReader, connector: VpcdConnector, card: CardDevice): Promise<void> {
  await emptySlot(reader, connector);
  const seen = once(reader, 'present');
  await connector.insert(card);
  await seen;
}

export interface PcscRig {
  slot: VpcdSlot;
  reader: PcscCardReader;
  connector: VpcdConnector;
}

/** A claimed slot, a started PcscCardReader bound to it and a connector for its cards; all undone at teardown. */
export async function pcscRig(t: ExecutionContext, options: Omit<PcscReaderOptions, 'readerName'> = {}): Promise<PcscRig> {
  const slot = await claimVpcdSlot();
  const connector = new VpcdConnector({ port: slot.port });
  const reader = new PcscCardReader({ ...options, readerName: slot.readerName });
  t.teardown(async () => {
    await emptySlot(reader, connector);
    await reader.stop();
    await slot.release();
  });
  await reader.start();
  if (!reader.ready) throw new Error(`reader ${slot.readerName} is not ready in the private pcscd`);
  return { slot, reader, connector };
}

/**
 * A test on the real PC/SC stack has hung, rarely, under a loaded CI machine, and ava's timeout shows nothing of why:
 * a test still running shortly before that timeout prints the system's last log records (reader events included).
 * Only a report: nothing waits on this timer.
 */
function dumpLogIfStuck(t: ExecutionContext, ring: LogRing): void {
  const timer = setTimeout(() => {
    console.error(`${t.title}: still running after ${STUCK_MS / 1000} s; the last log records:`);
    for (const record of ring.records) console.error(JSON.stringify(record));
  }, STUCK_MS);
  timer.unref();
  t.teardown(() => clearTimeout(timer));
}

/** Below ava's 60 s timeout (package.json), above the slowest test on the real PC/SC stack in a full run. */
const STUCK_MS = 45_000;

/**
 * The embedded default with K001 reading cards on a claimed vpcd slot of the private pcscd, and a connector that puts
 * cards in that slot's field; the slot emptied and released at teardown.
 */
export async function startPcscTestSystem(
  t: ExecutionContext, o: Omit<TestSystemOptions, 'pcscReader' | 'log'> = {},
): Promise<{ system: TestSystem; reader: PcscCardReader; connector: VpcdConnector }> {
  const slot = await claimVpcdSlot();
  t.teardown(() => slot.release());
  const ring = new LogRing(400);
  const log = createLogger({ level: 'debug', sink: () => {} }).recording(ring);
  const system = await startTestSystem(t, { ...o, pcscReader: slot.readerName, log });
  const reader = system.kiosks.get('K001')!.kiosk.reader as PcscCardReader;
  for (const event of ['present', 'absent', 'ready', 'fault'] as const) reader.on(event, () => log.debug(`reader ${event}`));
  dumpLogIfStuck(t, ring);
  const connector = new VpcdConnector({ port: slot.port });
  t.teardown(() => emptySlot(reader, connector));
  return { system, reader, connector };
}

