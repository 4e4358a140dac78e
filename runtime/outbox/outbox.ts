/**
 * The kiosk's durable outbox: everything the kiosk must report, kept in its journal's LevelDB until the broker has
 * it. An entry is appended in the same synced batch as the journal state that produces it (JournaledMachine's
 * `alongside`), so an outcome on disk always has its report on disk. `drain()` publishes entries strictly in order,
 * one at a time, each removed only after the broker acknowledged it (QoS 1 PUBACK); it stops at the first failure
 * and starts again from that entry at the next drain. Nothing is published while the link is down. A crash between
 * the PUBACK and the removal sends that entry again: the gateway keeps the first copy of each report.
 */
import { QuancunError } from '../../common/errors.ts';
import type { Logger } from '../../common/log.ts';
import type { DurableStore, Op } from '../../common/store/durable-store.ts';
import type { EventKind, EventPayload } from '../../common/api/topics.ts';

const PREFIX = 'outbox/';
/** Fixed width, so LevelDB's key order is the order of appending. */
const keyOf = (seq: number) => `${PREFIX}${String(seq).padStart(12, '0')}`;

export interface OutboxEntry<K extends EventKind = EventKind> {
  kind: K;
  payload: EventPayload<K>;
}

/** What the outbox needs of the link: an event publish that resolves on PUBACK and whether the link is up. */
export interface EventSink {
  readonly online: boolean;
  publishEvent<K extends EventKind>(kind: K, payload: EventPayload<K>): Promise<void>;
}

export class Outbox {
  /** The last sequence number handed out; appends are numbered in memory so two can never share one. */
  #seq = 0;
  #draining: Promise<void> | null = null;
  #again = false;

  constructor(
    private readonly store: DurableStore,
    private readonly log: Logger,
  ) {}

  /** After the store is open: numbering continues after the last entry still waiting. */
  async open(): Promise<void> {
    const waiting = await this.store.list<OutboxEntry>(PREFIX);
    this.#seq = waiting.length ? Number(waiting.at(-1)!.key.slice(PREFIX.length)) : 0;
  }

  /** The write that appends an entry; the caller puts it in the batch of the state that produced it. */
  appendOp<K extends EventKind>(kind: K, payload: EventPayload<K>): Op {
    const entry: OutboxEntry<K> = { kind, payload };
    return { type: 'put', key: keyOf(++this.#seq), value: entry };
  }

  /** Entries not yet acknowledged by the broker, oldest first. */
  async pending(): Promise<OutboxEntry[]> {
    return (await this.store.list<OutboxEntry>(PREFIX)).map((e) => e.value);
  }

  /**
   * Publishes what is waiting, in order, while the link is up. One drain at a time; a drain asked for while one
   * runs goes round once more when it ends, so an entry appended meanwhile is not left behind.
   */
  drain(sink: EventSink): Promise<void> {
    if (this.#draining) {
      this.#again = true;
      return this.#draining;
    }
    this.#draining = (async () => {
      do {
        this.#again = false;
        await this.#drainOnce(sink);
      } while (this.#again && sink.online);
    })().finally(() => (this.#draining = null));
    return this.#draining;
  }

  async #drainOnce(sink: EventSink): Promise<void> {
    for (const { key, value } of await this.store.list<OutboxEntry>(PREFIX)) {
      if (!sink.online) return;
      try {
        await sink.publishEvent(value.kind, value.payload);
      } catch (err) {
        if (QuancunError.from(err).code === 'LINK_BAD_MESSAGE') {
          // No retry can send it, and it must not hold back the entries behind it: kept aside for an operator.
          this.log.error('outbox entry does not fit the API: set aside', { key, kind: value.kind, error: err as Error });
          await this.store.batch([{ type: 'del', key }, { type: 'put', key: `outbox-rejected/${key.slice(PREFIX.length)}`, value }]);
          continue;
        }
        this.log.warn('outbox entry not acknowledged; kept for the next drain', { key, kind: value.kind, error: err as Error });
        return;
      }
      await this.store.batch([{ type: 'del', key }]);
    }
  }
}
