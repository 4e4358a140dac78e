/**
 * Puts a CardDevice into a vpcd reader slot ("Virtual PCD 00 0n" of pcscd + vsmartcard-vpcd), so the real PC/SC stack
 * talks to a card written in TypeScript. vpcd protocol: the card is the TCP client; every frame is a 2-byte big-endian
 * length then the payload, both ways; a 1-byte payload is a control code (0 power off, 1 power on, 2 reset, 4 get ATR),
 * anything longer is an APDU. Only "get ATR" and APDUs are answered. Closing the connection removes the card.
 */
import net from 'node:net';
import { once } from 'node:events';
import type { CardDevice } from './card-device.ts';

/** vpcd's first slot; slot n listens on 0x8C7B + n. */
export const VPCD_BASE_PORT = 0x8c7b;

/** A vpcd slot: the port the card connects to, and the reader name pcscd shows for it. */
export interface VpcdSlot {
  port: number;
  readerName: string;
}

/** The two slots of vpcd's own reader.conf: slot n on VPCD_BASE_PORT + n, named "Virtual PCD 00 0n". */
export const VPCD_DEFAULT_SLOTS: readonly VpcdSlot[] = [0, 1].map((n) => ({ port: VPCD_BASE_PORT + n, readerName: `Virtual PCD 00 0${n}` }));

/** The slots scripts/test.sh's private pcscd declares (QUANCUN_VPCD_PORTS, QUANCUN_VPCD_READERS), if it runs. */
export function vpcdSlotsFromEnv(env: NodeJS.ProcessEnv = process.env): VpcdSlot[] | undefined {
  const { QUANCUN_VPCD_PORTS: ports, QUANCUN_VPCD_READERS: names } = env;
  if (!ports || !names) return undefined;
  const readerNames = names.split(',');
  return ports.split(',').map((port, i) => ({ port: Number(port), readerName: readerNames[i]! }));
}

const POWER_OFF = 0;
const POWER_ON = 1;
const RESET = 2;
const GET_ATR = 4;

/**
 * A card exchange that breaks off, on the card's side of vpcd (one-shot, armed until the next APDU with this INS):
 * `when` before the card applies the command or after it applied it; `how` the card leaves the field by closing
 * its connection (`fin`) or resetting it (`rst`) — pcscd then answers the transmit with 0 bytes and success — or
 * stays and answers these bytes instead (hex: `''` an empty frame, which pcscd never answers; one byte; garbage).
 */
export interface VpcdTear {
  ins: number;
  when: 'before' | 'after';
  how: 'fin' | 'rst' | { answer: string };
}

export interface VpcdConnectorOptions {
  host?: string;
  port?: number;
}

export class VpcdConnector {
  readonly host: string;
  readonly port: number;
  #socket: net.Socket | undefined;
  #tear: { spec: VpcdTear; fired(): void } | undefined;

  constructor({ host = '127.0.0.1', port = VPCD_BASE_PORT }: VpcdConnectorOptions = {}) {
    this.host = host;
    this.port = port;
  }

  get inserted(): boolean {
    return this.#socket !== undefined;
  }

  /** Connects the card to the reader slot; pcscd sees it at its next presence poll (~400 ms). */
  async insert(card: CardDevice): Promise<void> {
    if (this.#socket) throw new Error(`a card is already in vpcd slot ${this.host}:${this.port}`);
    const socket = net.connect({ host: this.host, port: this.port });
    // vpcd sends length and payload separately: without no-delay each APDU waits out a delayed ACK.
    socket.setNoDelay(true);
    this.#socket = socket;
    const onClose = () => {
      if (this.#socket === socket) this.#socket = undefined;
    };
    socket.once('close', onClose);
    try {
      await once(socket, 'connect');
    } catch (err) {
      onClose();
      throw err;
    }
    // After connect, a failure (pcscd stopping) just removes the card, as closing does.
    socket.on('error', () => socket.destroy());
    let pending: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      while (pending.length >= 2) {
        const length = pending.readUInt16BE(0);
        if (pending.length < 2 + length) break;
        const payload = pending.subarray(2, 2 + length);
        pending = pending.subarray(2 + length);
        const armed = payload.length > 1 && this.#tear?.spec.ins === payload[1] ? this.#tear : undefined;
        if (!armed) {
          const reply = answer(card, payload);
          if (reply) socket.write(frame(reply));
          continue;
        }
        this.#tear = undefined;
        const tear = armed.spec;
        if (tear.when === 'after') answer(card, payload);
        armed.fired();
        if (typeof tear.how === 'object') {
          socket.write(frame(Buffer.from(tear.how.answer, 'hex')));
          continue;
        }
        this.#socket = undefined;
        if (tear.how === 'rst') socket.resetAndDestroy();
        else socket.destroy();
        return;
      }
    });
  }

  /** Breaks off the next exchange of this INS as the spec says (see VpcdTear); resolves when it fired. */
  tear(spec: VpcdTear): Promise<void> {
    return new Promise((fired) => {
      this.#tear = { spec, fired };
    });
  }

  /** Takes the card out of the field: closes the connection and resolves once it is closed. */
  async remove(): Promise<void> {
    const socket = this.#socket;
    if (!socket) return;
    this.#socket = undefined;
    const closed = once(socket, 'close');
    socket.destroy(); // a FIN: vpcd reports the card absent at its next poll
    await closed;
  }
}

function answer(card: CardDevice, payload: Buffer): Buffer | undefined {
  if (payload.length !== 1) {
    try {
      return card.transmit(Buffer.from(payload));
    } catch {
      return Buffer.from([0x6f, 0x00]); // a card that faults answers "no precise diagnosis", as real card OSes do
    }
  }
  switch (payload[0]) {
    case POWER_OFF:
    case POWER_ON:
    case RESET:
      card.reset();
      return undefined;
    case GET_ATR:
      return card.atr;
    default:
      return undefined;
  }
}

function frame(payload: Buffer): Buffer {
  const header = Buffer.alloc(2);
  header.writeUInt16BE(payload.length);
  return Buffer.concat([header, payload]);
}
