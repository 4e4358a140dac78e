/**
 * The card field of a simulated reader, held by a parent process and used by a kiosk child over the Node IPC
 * channel. The virtual cards (and the SimCardReader with its tear knobs) stay in the parent, so a card keeps its
 * balance and counters when the kiosk process is killed; the child sees an ordinary CardReader whose APDUs cross
 * the process boundary. Errors cross as their QuancunError code, so the kiosk sees CARD_REMOVED exactly as from a
 * local reader.
 */
import { EventEmitter } from 'node:events';
import type { ChildProcess } from 'node:child_process';
import { QuancunError, type ErrorCode } from '../../common/errors.ts';
import { nextPresent, type CardChannel, type CardReader, type CardReaderEvents } from '../../hal/card-reader/card-reader.ts';

type CardRequest =
  | { t: 'card'; id: number; op: 'connect' }
  | { t: 'card'; id: number; op: 'transmit'; ch: number; apdu: string }
  | { t: 'card'; id: number; op: 'close'; ch: number };

type CardReply = { t: 'card-reply'; id: number; ok: true; data?: string; ch?: number } | { t: 'card-reply'; id: number; ok: false; code: ErrorCode; message: string };

type CardEvent = { t: 'card-event'; event: 'present'; atr: string } | { t: 'card-event'; event: 'absent' | 'ready' } | { t: 'card-event'; event: 'fault'; code: ErrorCode; message: string };

/** A message sent over IPC, or nothing when there is no IPC channel (the process was not forked). */
export interface IpcPort {
  send(message: unknown): void;
  on(event: 'message', listener: (message: unknown) => void): void;
  off(event: 'message', listener: (message: unknown) => void): void;
}

const isMessage = <T extends { t: string }>(m: unknown, t: T['t']): m is T => typeof m === 'object' && m !== null && (m as { t?: unknown }).t === t;

/** The child side: a CardReader whose field is in the parent process. */
export class IpcCardReader extends EventEmitter<CardReaderEvents> implements CardReader {
  readonly name = 'Simulated reader (card field in the parent process)';
  #present = false;
  #next = 0;
  readonly #pending = new Map<number, { resolve(r: CardReply): void }>();
  readonly #onMessage = (m: unknown) => {
    if (isMessage<CardReply>(m, 'card-reply')) {
      this.#pending.get(m.id)?.resolve(m);
      this.#pending.delete(m.id);
    } else if (isMessage<CardEvent>(m, 'card-event')) {
      if (m.event === 'present') {
        this.#present = true;
        this.emit('present', Buffer.from(m.atr, 'hex'));
      } else if (m.event === 'absent') {
        this.#present = false;
        this.emit('absent');
      } else if (m.event === 'fault') {
        this.#present = false;
        this.emit('fault', new QuancunError(m.code, m.message));
      } else {
        this.emit('ready');
      }
    }
  };

  constructor(private readonly port: IpcPort) {
    super();
  }

  get cardPresent(): boolean {
    return this.#present;
  }

  async start(): Promise<void> {
    this.port.on('message', this.#onMessage);
    // Learn whether a card is already in the field (a restarted kiosk with the card still lying on the reader).
    this.port.send({ t: 'card-hello' });
  }

  async stop(): Promise<void> {
    this.port.off('message', this.#onMessage);
  }

  async connect(): Promise<CardChannel> {
    const r = await this.#ask({ op: 'connect' });
    const ch = r.ch!;
    const atr = Buffer.from(r.data!, 'hex');
    return {
      atr,
      transmit: async (apdu) => Buffer.from((await this.exchange(ch, apdu)), 'hex'),
      close: async () => {
        await this.#ask({ op: 'close', ch }).catch(() => {});
      },
    };
  }

  /** One APDU to the card in the parent's field; the response as hex. A separate method so a harness child can wrap it. */
  async exchange(ch: number, apdu: Buffer): Promise<string> {
    return (await this.#ask({ op: 'transmit', ch, apdu: apdu.toString('hex') })).data!;
  }

  waitForCard(signal?: AbortSignal): Promise<Buffer> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const present = nextPresent(this, signal);
    if (this.#present) this.port.send({ t: 'card-hello' });
    return present;
  }

  async #ask(body: { op: 'connect' } | { op: 'transmit'; ch: number; apdu: string } | { op: 'close'; ch: number }): Promise<Extract<CardReply, { ok: true }>> {
    const id = ++this.#next;
    const reply = await new Promise<CardReply>((resolve) => {
      this.#pending.set(id, { resolve });
      this.port.send({ t: 'card', id, ...body } satisfies CardRequest);
    });
    if (!reply.ok) throw new QuancunError(reply.code, reply.message);
    return reply;
  }
}

/**
 * The parent side: serves a child's card requests from `reader` (a SimCardReader holding the virtual cards) and
 * forwards the reader's events. Returns a function that stops serving.
 */
export function serveCardField(child: ChildProcess, reader: CardReader): () => void {
  const channels = new Map<number, CardChannel>();
  let nextCh = 0;
  const send = (m: CardReply | CardEvent) => {
    if (child.connected) child.send(m);
  };
  const events: Array<[keyof CardReaderEvents, (...a: never[]) => void]> = [
    ['present', (atr: Buffer) => send({ t: 'card-event', event: 'present', atr: atr.toString('hex') })],
    ['absent', () => send({ t: 'card-event', event: 'absent' })],
    ['ready', () => send({ t: 'card-event', event: 'ready' })],
    ['fault', (err: Error) => send({ t: 'card-event', event: 'fault', code: QuancunError.from(err).code, message: err.message })],
  ];
  for (const [event, listener] of events) reader.on(event, listener as never);
  const onMessage = (m: unknown) => {
    if (isMessage<{ t: 'card-hello' }>(m, 'card-hello')) {
      if (reader.cardPresent) {
        reader.connect().then((c) => send({ t: 'card-event', event: 'present', atr: c.atr.toString('hex') }), () => {});
      }
      return;
    }
    if (!isMessage<CardRequest>(m, 'card')) return;
    const answer = async (): Promise<CardReply> => {
      switch (m.op) {
        case 'connect': {
          const channel = await reader.connect();
          channels.set(++nextCh, channel);
          return { t: 'card-reply', id: m.id, ok: true, ch: nextCh, data: channel.atr.toString('hex') };
        }
        case 'transmit': {
          const channel = channels.get(m.ch);
          if (!channel) throw new QuancunError('CARD_ERROR', 'the card channel is closed');
          return { t: 'card-reply', id: m.id, ok: true, data: (await channel.transmit(Buffer.from(m.apdu, 'hex'))).toString('hex') };
        }
        case 'close':
          await channels.get(m.ch)?.close();
          channels.delete(m.ch);
          return { t: 'card-reply', id: m.id, ok: true };
      }
    };
    answer().then(send, (err: unknown) => {
      const e = QuancunError.from(err);
      send({ t: 'card-reply', id: m.id, ok: false, code: e.code, message: e.message });
    });
  };
  child.on('message', onMessage);
  return () => {
    child.off('message', onMessage);
    for (const [event, listener] of events) reader.off(event, listener as never);
  };
}
