/**
 * Preloaded (`node --import`) into the kiosk and gateway processes the chaos harness starts, and into no other: it
 * reports every journal write to the parent over IPC, freezes the process right after a chosen state is on disk
 * (the parent then SIGKILLs it: a crash at exactly that journal step) or pauses it there (the parent arranges the
 * bank's answer to exactly the request that state allows, then resumes it), and reads the journals back for the
 * invariant while the process holds the LevelDB lock.
 *
 * QUANCUN_CHAOS_BROKEN is read here only: it builds the deliberately broken kiosk the harness must catch. `lying-credit`
 * makes the kiosk take the card's successful answer to CREDIT FOR LOAD as a refusal, so it asks the gateway to undo a
 * debit the card was in fact credited with (what a kiosk that undoes a load without checking the card's counter does).
 * `lying-debit` does the same to DEBIT FOR PURCHASE: the kiosk abandons a fee the card paid, so no biller is paid and
 * no refund is owed for money the card gave.
 */
import { DurableStore } from '../../common/store/durable-store.ts';
import { JournaledMachine } from '../../common/store/journaled-machine.ts';
import { IpcCardReader } from './card-field-ipc.ts';
import { parentPort } from './child-ipc.ts';

export interface JournalStep {
  t: 'journal';
  /** The machine's key prefix, e.g. `txn/load` (kiosk) or `gw/load` (gateway). */
  prefix: string;
  id: string;
  state: string;
  /** `freeze`: the process stopped for good right after this write, for the parent to kill; `pause`: until resumed. */
  held: 'freeze' | 'pause' | null;
}

export interface DumpReply {
  t: 'dump-reply';
  id: number;
  entries: Record<string, unknown[]>;
}

const port = parentPort();
if (!port) throw new Error('child-tap.ts is for processes the chaos harness forks');

// Load the command's modules now, then wait: the harness keeps this process as a spare and says go when it must
// take over from a killed one. The command imports the same modules again (from the cache) once it runs.
await import(process.argv.includes('gateway') ? '../../gateway/gateway.ts' : '../../runtime/kiosk.ts');
await import('../../cli/main.ts');
await new Promise<void>((resolve) => {
  const onGo = (m: unknown) => {
    if ((m as { t?: unknown }).t !== 'go') return;
    port.off('message', onGo);
    resolve();
  };
  port.on('message', onGo);
});

/** Journal states after which this process stops: frozen for good (the parent kills it) or paused until resumed. */
let armed: Array<{ prefix: string; state: string; action: 'freeze' | 'pause' }> = [];
const paused = new Map<string, () => void>();
const stores = new Set<DurableStore>();

const open = DurableStore.prototype.open;
DurableStore.prototype.open = async function (this: DurableStore) {
  await open.call(this);
  stores.add(this);
};
const close = DurableStore.prototype.close;
DurableStore.prototype.close = function (this: DurableStore) {
  stores.delete(this);
  return close.call(this);
};

type Machine = JournaledMachine<string, { id: string; state: string; history: Array<{ state: string; at: string }>; updatedAt: string }>;
for (const method of ['create', 'advance'] as const) {
  const original = JournaledMachine.prototype[method] as (this: Machine, ...args: unknown[]) => Promise<{ id: string; state: string }>;
  (JournaledMachine.prototype as unknown as Record<string, unknown>)[method] = async function (this: Machine, ...args: unknown[]) {
    const written = await original.apply(this, args);
    const prefix = (this as unknown as { prefix: string }).prefix;
    const stop = armed.filter((a) => a.prefix === prefix && a.state === written.state).sort((a) => (a.action === 'freeze' ? -1 : 1))[0];
    armed = armed.filter((a) => a !== stop);
    port.send({ t: 'journal', prefix, id: written.id, state: written.state, held: stop?.action ?? null } satisfies JournalStep);
    // Frozen with the state on disk and the step it allows not taken: the parent's SIGKILL lands exactly here.
    if (stop?.action === 'freeze') return new Promise(() => {});
    // Paused before the step: the parent changes the world (the bank's behaviour for exactly this 0200), then resumes.
    if (stop?.action === 'pause') await new Promise<void>((resolve) => paused.set(written.id, resolve));
    return written;
  };
}

port.on('message', (m) => {
  const msg = m as { t?: string; id?: number | string; arms?: typeof armed; prefixes?: string[] };
  if (msg.t === 'arm') armed = msg.arms ?? [];
  if (msg.t === 'resume') {
    paused.get(String(msg.id))?.();
    paused.delete(String(msg.id));
  }
  if (msg.t === 'dump') {
    void (async () => {
      const prefixes = msg.prefixes ?? [];
      const entries: Record<string, unknown[]> = Object.fromEntries(prefixes.map((p) => [p, []]));
      // Each store read at one moment: a load's state and its posting, written in one batch, are seen together.
      for (const store of stores) {
        const read = await store.listAtOnce(prefixes);
        for (const prefix of prefixes) entries[prefix]!.push(...read[prefix]!.map((e) => e.value));
      }
      port.send({ t: 'dump-reply', id: Number(msg.id), entries } satisfies DumpReply);
    })();
  }
});

/** The money-moving command each broken build lies about: CREDIT FOR LOAD, DEBIT FOR PURCHASE. */
const LIES: Record<string, number> = { 'lying-credit': 0x52, 'lying-debit': 0x54 };
const lie = LIES[process.env.QUANCUN_CHAOS_BROKEN ?? ''];
if (lie !== undefined) {
  const exchange = IpcCardReader.prototype.exchange;
  IpcCardReader.prototype.exchange = async function (this: IpcCardReader, ch: number, apdu: Buffer) {
    const answer = await exchange.call(this, ch, apdu);
    const lied = apdu[0] === 0x80 && apdu[1] === lie;
    // 9302 is a refusal the decision table accepts (runtime/card/card-write.ts): the kiosk then undoes the load, or
    // abandons the fee as not debited.
    return lied && answer.endsWith('9000') ? '9302' : answer;
  };
}
