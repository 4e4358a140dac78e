/**
 * The real PC/SC stack in tests: scripts/test.sh runs a private pcscd with vpcd slots (QUANCUN_PCSCD=1, ports in
 * QUANCUN_VPCD_PORTS, reader names in QUANCUN_VPCD_READERS, a lock dir in QUANCUN_VPCD_LOCKS). Test files run in
 * parallel processes, so each test claims a free slot with a lock file. Outside that script these helpers fail, never skip.
 */
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import { PcscCardReader, type PcscReaderOptions } from '../../hal/card-reader/pcsc-reader.ts';
import { VpcdConnector } from '../../sim/card/vpcd-connector.ts';

export interface VpcdSlot {
  port: number;
  readerName: string;
}

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
  const ports = list('QUANCUN_VPCD_PORTS').map(Number);
  const names = list('QUANCUN_VPCD_READERS');
  return ports.map((port, i) => ({ port, readerName: names[i]! }));
}

/** Port of vpcd slot `slot` (0-based, in the order scripts/test.sh lists them). */
export function vpcdPort(slot: number): number {
  const found = vpcdSlots()[slot];
  if (!found) throw new Error(`no vpcd slot ${slot}: scripts/test.sh declares ${vpcdSlots().length}`);
  return found.port;
}

/** A slot no other test holds, released when the test ends: a lock file created with O_EXCL in the run's lock dir. */
export async function claimVpcdSlot(t: ExecutionContext): Promise<VpcdSlot> {
  const dir = list('QUANCUN_VPCD_LOCKS')[0]!;
  for (const slot of vpcdSlots()) {
    const lock = join(dir, `vpcd-${slot.port}.lock`);
    const handle = await open(lock, 'wx').catch(() => undefined);
    if (!handle) continue;
    await handle.writeFile(String(process.pid));
    await handle.close();
    t.teardown(() => rm(lock, { force: true }));
    return slot;
  }
  throw new Error('every vpcd slot is in use: add ports to VPCD_ENTRY_PORTS in scripts/test.sh');
}

export interface PcscRig {
  slot: VpcdSlot;
  reader: PcscCardReader;
  connector: VpcdConnector;
}

/** A claimed slot, a started PcscCardReader bound to it and a connector for its cards; all undone at teardown. */
export async function pcscRig(t: ExecutionContext, options: Omit<PcscReaderOptions, 'readerName'> = {}): Promise<PcscRig> {
  const slot = await claimVpcdSlot(t);
  const connector = new VpcdConnector({ port: slot.port });
  const reader = new PcscCardReader({ ...options, readerName: slot.readerName });
  t.teardown(async () => {
    await connector.remove();
    await reader.stop();
  });
  await reader.start();
  if (!reader.ready) throw new Error(`reader ${slot.readerName} is not ready in the private pcscd`);
  return { slot, reader, connector };
}
