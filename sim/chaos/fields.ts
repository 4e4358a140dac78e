/**
 * The card fields a chaos kiosk reads from, held by the harness: `sim`, a SimCardReader whose APDUs cross the IPC
 * channel (card-field-ipc.ts), or `pcsc`, a vpcd slot of a running pcscd that the kiosk reaches through its real
 * PC/SC backend. Both give the harness the same handle per run: put the card down, take it away, and break off one
 * exchange the way that field's parts break off (scenario.ts lists the ways per field).
 */
import { once } from 'node:events';
import { PcscCardReader } from '../../hal/card-reader/pcsc-reader.ts';
import { SimCardReader, type TearHow } from '../card/sim-reader.ts';
import type { Config } from '../../common/config.ts';
import type { CardDevice } from '../card/card-device.ts';
import { VpcdConnector, type VpcdSlot } from '../card/vpcd-connector.ts';
import type { Member } from './member.ts';
import type { FieldKind, Tear, TearWay } from './scenario.ts';

type ReaderConfig = Config['kiosks'][number]['reader'];

/** How long a chaos kiosk waits for a card's answer on pcscd: a mute card costs this, not the 5 s default. */
const PCSC_ANSWER_TIMEOUT_MS = 1500;
/** A mute card (pcscd never answers an empty frame) lies on the reader this long before the cardholder lifts it. */
const MUTE_CARD_MS = PCSC_ANSWER_TIMEOUT_MS + 500;
/**
 * The card stays and answers wrongly, the same bytes on either field: an empty frame, an answer that is no status word
 * (1 byte), and garbage (an unknown status word after stray bytes).
 */
const WRONG_ANSWERS: Partial<Record<TearWay, string>> = { empty: '', short: '90', garbage: 'FF3C17' };
const wrongAnswer = (how: TearWay) => (WRONG_ANSWERS[how] === undefined ? undefined : { answer: WRONG_ANSWERS[how] });

/** One run's field: a fresh one per run, so no tear armed in a run that missed it stays armed. */
export interface RunField {
  /** The card is on the reader once this resolves (the kiosk's reader sees it at about the same time). */
  insert(card: CardDevice): Promise<void>;
  /** The card is off the reader (and the reader says so) once this resolves. */
  remove(): Promise<void>;
  /**
   * Breaks off the next exchange of `tear.ins` (`fired` is called the moment it does); resolves once the field is as
   * that leaves it: the card gone (the cardholder lifted it when the screen asked again) or, for a reader unplugged,
   * the reader gone. Never resolves when no such exchange comes.
   */
  tear(tear: Tear, fired?: () => void): Promise<void>;
  /** Undoes what a tear left: the card put back, the reader plugged in again. */
  restore(card: CardDevice): Promise<void>;
}

export interface KioskField {
  readonly kind: FieldKind;
  /** The `reader` of the kiosk's config entry. */
  readonly reader: ReaderConfig;
  /** The field of the next run (the kiosk process is told where it is, for the sim field). */
  fresh(member: Member): RunField;
  stop(): Promise<void>;
}

/** Serialises a field's operations: a tear's after-effect and the run's last insert never interleave. */
function queue(): <T>(op: () => Promise<T> | T) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return (op) => {
    const next = tail.then(op);
    tail = next.catch(() => {});
    return next;
  };
}

export function simField(kioskId: string): KioskField {
  return {
    kind: 'sim',
    reader: { backend: 'sim' },
    fresh(member) {
      const reader = new SimCardReader({ name: `field ${kioskId}` });
      member.useField(reader);
      const run = queue();
      const put = (card: CardDevice) => {
        if (!reader.cardPresent) reader.insert(card);
      };
      return {
        insert: (card) => run(() => put(card)),
        remove: () => run(() => reader.remove()),
        tear: async (tear, fired) => {
          await reader.tear({ ins: tear.ins, when: tear.when, how: simTear(tear.how) });
          fired?.();
          // The cardholder lifts a card that answered wrongly or that the reader lost; an unplugged reader stays out.
          if (tear.how !== 'reader-unplugged') await run(() => reader.remove());
        },
        restore: (card) => run(() => {
          reader.replug();
          put(card);
        }),
      };
    },
    stop: async () => {},
  };
}

function simTear(how: TearWay): TearHow {
  const answer = wrongAnswer(how);
  if (answer) return answer;
  switch (how) {
    case 'leave':
      return 'leave';
    case 'comm-error':
      return { error: 'READER_COMM_ERROR' };
    case 'card-reset':
      return { error: 'CARD_RESET' };
    case 'unresponsive':
      return { error: 'CARD_UNRESPONSIVE' };
    case 'reader-unplugged':
      return { error: 'READER_UNAVAILABLE' };
    default:
      throw new Error(`a simulated field cannot break off by ${how}`);
  }
}

/**
 * A vpcd slot of the pcscd this process can reach. The harness watches the slot with a reader of its own, so it knows
 * when pcscd saw a card come or go (vpcd reports a change at its next poll, not at once).
 */
export async function pcscField(slot: VpcdSlot): Promise<KioskField> {
  const watcher = new PcscCardReader({ readerName: slot.readerName });
  await watcher.start();
  if (!watcher.ready) {
    await watcher.stop();
    throw new Error(`no PC/SC reader "${slot.readerName}": is pcscd running with vsmartcard-vpcd (slot port ${slot.port})?`);
  }
  const seen = async (present: boolean) => {
    if (watcher.cardPresent !== present) await once(watcher, present ? 'present' : 'absent');
  };
  return {
    kind: 'pcsc',
    reader: { backend: 'pcsc', name: slot.readerName, answerTimeoutMs: PCSC_ANSWER_TIMEOUT_MS },
    fresh() {
      const connector = new VpcdConnector({ port: slot.port });
      const run = queue();
      const insert = async (card: CardDevice) => {
        if (!connector.inserted) await connector.insert(card);
        await seen(true);
      };
      const remove = async () => {
        await connector.remove();
        await seen(false);
      };
      return {
        insert: (card) => run(() => insert(card)),
        remove: () => run(remove),
        tear: async (tear, fired) => {
          await connector.tear({ ins: tear.ins, when: tear.when, how: pcscTear(tear.how) });
          fired?.();
          // pcscd waits for a mute card's answer until the card goes: it lies there a while, then is lifted.
          if (tear.how === 'empty') await new Promise((r) => setTimeout(r, MUTE_CARD_MS));
          await run(remove);
        },
        restore: (card) => run(() => insert(card)),
      };
    },
    stop: () => watcher.stop(),
  };
}

function pcscTear(how: TearWay): 'fin' | 'rst' | { answer: string } {
  const answer = wrongAnswer(how);
  if (answer) return answer;
  if (how === 'fin' || how === 'rst') return how;
  throw new Error(`a vpcd slot cannot break off by ${how}`);
}
