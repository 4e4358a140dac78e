/**
 * Explicit, journaled state machines. A record's every transition is checked against the machine's table and
 * written (synced) before the caller goes on to the step the new state allows: on a crash, the journal always
 * says the furthest step that may have been taken, never less.
 */
import { EventEmitter } from 'node:events';
import { QuancunError } from '../errors.ts';
import type { DurableStore, Op } from './durable-store.ts';

export interface MachineSpec<S extends string> {
  name: string;
  /** For each state, the states it may move to. A state with no successors is final. */
  transitions: { readonly [K in S]: readonly S[] };
}

export interface JournalRecord<S extends string> {
  id: string;
  state: S;
  /** Each state entered, with its time: the audit trail an operator reads. */
  history: Array<{ state: S; at: string }>;
  updatedAt: string;
}

export function isFinal<S extends string>(spec: MachineSpec<S>, state: S): boolean {
  return spec.transitions[state].length === 0;
}

export interface MachineOptions<R> {
  /** Writes that go with every state written, in its batch (the kiosk's outbox entry for a final outcome). */
  alongside?: (record: R) => Op[];
}

/** `changed` fires after each state is on disk (created or advanced): what a live monitor follows. Its listeners must not throw. */
export class JournaledMachine<S extends string, R extends JournalRecord<S>> extends EventEmitter<{ changed: [record: R] }> {
  constructor(
    private readonly store: DurableStore,
    private readonly prefix: string,
    readonly spec: MachineSpec<S>,
    private readonly options: MachineOptions<R> = {},
  ) {
    super();
  }

  private key(id: string): string {
    return `${this.prefix}/${id}`;
  }

  /** Writes the first state; `alongside` goes in the same synced batch (e.g. the reservation of the record's id). */
  async create(record: Omit<R, 'history' | 'updatedAt'>, alongside: Op[] = []): Promise<R> {
    const [full] = await this.createAll([record], alongside);
    return full!;
  }

  /** Writes the first state of several records in one synced batch: all of them exist afterwards, or none. */
  async createAll(records: Array<Omit<R, 'history' | 'updatedAt'>>, alongside: Op[] = []): Promise<R[]> {
    for (const record of records) {
      if (await this.store.get(this.key(record.id))) {
        throw new QuancunError('TXN_STATE', `${this.spec.name} ${record.id} already exists`, { id: record.id });
      }
    }
    const at = new Date().toISOString();
    const full = records.map((record) => ({ ...record, history: [{ state: record.state, at }], updatedAt: at }) as R);
    await this.store.batch([
      ...full.flatMap((r) => [{ type: 'put' as const, key: this.key(r.id), value: r }, ...(this.options.alongside?.(r) ?? [])]),
      ...alongside,
    ]);
    for (const r of full) this.emit('changed', r);
    return full;
  }

  get(id: string): Promise<R | undefined> {
    return this.store.get<R>(this.key(id));
  }

  async require(id: string): Promise<R> {
    const record = await this.get(id);
    if (!record) throw new QuancunError('TXN_UNKNOWN', `${this.spec.name} ${id} is not in the journal`, { id });
    return record;
  }

  /**
   * Move to `next`, merging `patch`, synced before it resolves. Refuses a transition the machine does not allow, and
   * (JOURNAL_CONFLICT, nothing written) a record that is no longer as the caller read it: a step is taken once, by
   * whoever wrote its state first.
   * `alongside` are written in the same atomic batch (a ledger posting that must not exist without its state).
   * `write` writes that batch: by default this store's, or another machine's that adds its own records to it (an owed
   * credit created in the batch of the state that owes it) — still one atomic batch, awaited before `changed`.
   */
  async advance(
    record: R, next: S, patch: Partial<Omit<R, 'id' | 'state' | 'history'>> = {}, alongside: Op[] = [],
    write: (ops: Op[]) => Promise<unknown> = (ops) => this.store.batch(ops),
  ): Promise<R> {
    if (!this.spec.transitions[record.state].includes(next)) {
      throw new QuancunError('TXN_STATE', `${this.spec.name} ${record.id}: ${record.state} -> ${next} is not allowed`, {
        id: record.id,
        from: record.state,
        to: next,
      });
    }
    const at = new Date().toISOString();
    const updated = { ...record, ...patch, state: next, history: [...record.history, { state: next, at }], updatedAt: at } as R;
    const key = this.key(record.id);
    await write([{ type: 'check', key, value: record }, { type: 'put', key, value: updated }, ...alongside, ...(this.options.alongside?.(updated) ?? [])]);
    this.emit('changed', updated);
    return updated;
  }

  /** Every record, or those whose id starts with `idPrefix` (read by key range, not filtered). */
  async all(idPrefix = ''): Promise<R[]> {
    return (await this.store.list<R>(`${this.prefix}/${idPrefix}`)).map((e) => e.value);
  }

  async unfinished(): Promise<R[]> {
    return (await this.all()).filter((r) => !isFinal(this.spec, r.state));
  }
}
