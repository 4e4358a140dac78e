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
import { LevelStore } from '../../common/store/level-store.ts';
import { JournaledMachine } from '../../common/store/journaled-machine.ts';
import { IpcCardReader } from './card-field-ipc.ts';
import { parentPort } from './child-ipc.ts';
import type { Gateway } from '../../gateway/gateway.ts';
import type { OrderRule } from '../../gateway/transfers/standing-orders.ts';
import type { SubsidyFields } from '../../gateway/subsidies/subsidy-lines.ts';

export interface JournalStep {
  t: 'journal';
  /** The machine's key prefix, e.g. `txn/load` (kiosk) or `gw/load` (gateway). */
  prefix: string;
  id: string;
  state: string;
  /** `freeze`: the process stopped for good right after this write, for the parent to kill; `pause`: until resumed. */
  held: 'freeze' | 'pause' | null;
}

/** An answer to the parent's `dump` (the journals at one moment) or `campus` (an act of the campus side, below). */
export interface TapReply {
  t: 'tap-reply';
  id: number;
  result?: unknown;
  error?: string;
}

/**
 * What the campus does on the gateway while it runs, as its console would (gateway/console/sections/): issue a
 * subsidy, read the subsidy report, set each account's standing order, start a batch transfer run.
 */
export type CampusAct =
  | { op: 'subsidy-issue'; fields: SubsidyFields }
  | { op: 'subsidy-report' }
  | { op: 'transfer-orders'; orders: Array<{ campusAccount: string; amount: number; rule: OrderRule }> }
  | { op: 'transfer-run' };

/** An armed stop: after the `skip`+1-th write of `state` by the machine at `prefix` (skip defaults to 0). */
export interface Arm {
  prefix: string;
  state: string;
  action: 'freeze' | 'pause';
  skip?: number;
}

const port = parentPort();
if (!port) throw new Error('child-tap.ts is for processes the chaos harness forks');

// Load the command's modules now, then wait: the harness keeps this process as a spare and says go when it must
// take over from a killed one. The command imports the same modules again (from the cache) once it runs.
const gatewayModule = process.argv.includes('gateway') ? await import('../../gateway/gateway.ts') : null;
if (!gatewayModule) await import('../../runtime/kiosk.ts');
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
let armed: Arm[] = [];
/** The gateway this process serves with, once started: the campus side of a run (subsidies, transfer runs) acts on it. */
let gateway: Gateway | null = null;
if (gatewayModule) {
  const start = gatewayModule.Gateway.prototype.start;
  gatewayModule.Gateway.prototype.start = async function (this: Gateway) {
    await start.call(this);
    gateway = this;
  };
}
const paused = new Map<string, () => void>();
const stores = new Set<LevelStore>();

const open = LevelStore.prototype.open;
LevelStore.prototype.open = async function (this: LevelStore) {
  await open.call(this);
  stores.add(this);
};
const close = LevelStore.prototype.close;
LevelStore.prototype.close = function (this: LevelStore) {
  stores.delete(this);
  return close.call(this);
};

type Machine = JournaledMachine<string, { id: string; state: string; history: Array<{ state: string; at: string }>; updatedAt: string }>;
type Written = { id: string; state: string };

/** The stop armed for this write, if any (a freeze before a pause); an arm still skipping counts this write down. */
function stopFor(prefix: string, written: Written): Arm | undefined {
  const matching = armed.filter((a) => a.prefix === prefix && a.state === written.state);
  const stop = matching.filter((a) => !a.skip).sort((a) => (a.action === 'freeze' ? -1 : 1))[0];
  for (const a of matching) if (a.skip) a.skip--;
  armed = armed.filter((a) => a !== stop);
  port!.send({ t: 'journal', prefix, id: written.id, state: written.state, held: stop?.action ?? null } satisfies JournalStep);
  return stop;
}

/** Frozen with the state on disk and the step it allows not taken (the parent's SIGKILL lands exactly here), or paused. */
async function hold(stop: Arm | undefined, written: Written): Promise<void> {
  if (stop?.action === 'freeze') await new Promise(() => {});
  // Paused before the step: the parent changes the world (the bank's behaviour for exactly this 0200), then resumes.
  if (stop?.action === 'pause') await new Promise<void>((resolve) => paused.set(written.id, resolve));
}

// Every first state goes through createAll (create writes one record with it), every later one through advance.
const createAll = JournaledMachine.prototype.createAll as (this: Machine, ...args: unknown[]) => Promise<Written[]>;
(JournaledMachine.prototype as unknown as Record<string, unknown>).createAll = async function (this: Machine, ...args: unknown[]) {
  const written = await createAll.apply(this, args);
  const prefix = (this as unknown as { prefix: string }).prefix;
  for (const w of written) await hold(stopFor(prefix, w), w);
  return written;
};
const advance = JournaledMachine.prototype.advance as (this: Machine, ...args: unknown[]) => Promise<Written>;
(JournaledMachine.prototype as unknown as Record<string, unknown>).advance = async function (this: Machine, ...args: unknown[]) {
  const written = await advance.apply(this, args);
  await hold(stopFor((this as unknown as { prefix: string }).prefix, written), written);
  return written;
};

async function campus(act: CampusAct): Promise<unknown> {
  if (!gateway) throw new Error('the gateway is not serving yet');
  switch (act.op) {
    case 'subsidy-issue':
      return gateway.subsidies.issue(act.fields);
    case 'subsidy-report':
      return gateway.subsidies.report();
    case 'transfer-orders':
      // One order per account: the new one replaces what the account had.
      for (const o of act.orders) {
        if (await gateway.transfers.orders.get(o.campusAccount)) await gateway.transfers.orders.remove(o.campusAccount);
        await gateway.transfers.orders.add(o);
      }
      return null;
    case 'transfer-run':
      return gateway.transfers.run('chaos');
  }
}

/** Answers one request of the parent; a failure is the answer's error, not this process's. */
function reply(id: number, work: () => Promise<unknown>): void {
  work().then((result) => port!.send({ t: 'tap-reply', id, result } satisfies TapReply), (err: unknown) => {
    const error = err instanceof Error ? `${(err as { code?: string }).code ?? err.name}: ${err.message}` : String(err);
    port!.send({ t: 'tap-reply', id, error } satisfies TapReply);
  });
}

port.on('message', (m) => {
  const msg = m as { t?: string; id?: number | string; arms?: Arm[]; prefixes?: string[]; act?: CampusAct };
  if (msg.t === 'arm') armed = msg.arms ?? [];
  if (msg.t === 'resume') {
    paused.get(String(msg.id))?.();
    paused.delete(String(msg.id));
  }
  if (msg.t === 'dump') {
    reply(Number(msg.id), async () => {
      const prefixes = msg.prefixes ?? [];
      const entries: Record<string, unknown[]> = Object.fromEntries(prefixes.map((p) => [p, []]));
      // Each store read at one moment: a load's state and its posting, written in one batch, are seen together.
      // The gateway's store may be on PostgreSQL: read it from the gateway (the same one when it is LevelDB).
      for (const store of new Set<Pick<LevelStore, 'listAtOnce'>>([...stores, ...(gateway ? [gateway.store] : [])])) {
        const read = await store.listAtOnce(prefixes);
        for (const prefix of prefixes) entries[prefix]!.push(...read[prefix]!.map((e) => e.value));
      }
      return entries;
    });
  }
  if (msg.t === 'campus') reply(Number(msg.id), () => campus(msg.act!));
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
