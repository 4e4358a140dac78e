/**
 * QEMU's two JSON protocols on a socket: QMP (the machine) and the guest agent. Both answer commands in the order
 * they came, one JSON object per line; QMP also sends events, the agent prefixes the answer to guest-sync-delimited
 * with a 0xFF byte. Answers are matched to commands first in, first out.
 */
import type { Socket } from 'node:net';

export interface JsonMessage {
  return?: unknown;
  error?: { class: string; desc: string };
  event?: string;
  data?: Record<string, unknown>;
  QMP?: unknown;
}

interface Pending {
  resolve(message: JsonMessage): void;
  reject(error: Error): void;
  /** Timed out: its late answer is still consumed here, so the ones after it stay matched. */
  abandoned: boolean;
}

export class JsonChannel {
  readonly #socket: Socket;
  readonly #name: string;
  readonly #pending: Pending[] = [];
  #buffer = '';
  #closed: Error | undefined;

  /** `onUnsolicited` gets what is not an answer: QMP's greeting and events. */
  constructor(socket: Socket, name: string, onUnsolicited: (message: JsonMessage) => void = () => {}) {
    this.#socket = socket;
    this.#name = name;
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      this.#buffer += chunk;
      let end;
      while ((end = this.#buffer.indexOf('\n')) >= 0) {
        const line = this.#buffer.slice(0, end).replaceAll('\xff', '').trim();
        this.#buffer = this.#buffer.slice(end + 1);
        if (!line) continue;
        const message = JSON.parse(Buffer.from(line, 'latin1').toString('utf8')) as JsonMessage;
        if (message.event !== undefined || message.QMP !== undefined) onUnsolicited(message);
        else this.#answer(message);
      }
    });
    socket.on('error', () => {}); // 'close' follows and fails what is pending
    socket.on('close', () => {
      this.#closed = new Error(`${name}: connection closed`);
      for (const p of this.#pending.splice(0)) p.reject(this.#closed);
    });
  }

  /** Sends a command and resolves with its `return`; an `error` answer rejects with QEMU's description. */
  async execute<T = unknown>(command: string, args?: object, timeoutMs = 30_000): Promise<T> {
    if (this.#closed) throw this.#closed;
    const message = await new Promise<JsonMessage>((resolve, reject) => {
      const pending: Pending = { resolve, reject, abandoned: false };
      const timer = setTimeout(() => {
        pending.abandoned = true;
        reject(new Error(`${this.#name}: no answer to ${command} within ${timeoutMs} ms`));
      }, timeoutMs);
      pending.resolve = (m) => { clearTimeout(timer); resolve(m); };
      pending.reject = (e) => { clearTimeout(timer); reject(e); };
      this.#pending.push(pending);
      this.#socket.write(`${JSON.stringify(args ? { execute: command, arguments: args } : { execute: command })}\n`);
    });
    if (message.error) throw new Error(`${this.#name}: ${command}: ${message.error.class}: ${message.error.desc}`);
    return message.return as T;
  }

  #answer(message: JsonMessage): void {
    const pending = this.#pending.shift();
    if (pending && !pending.abandoned) pending.resolve(message);
  }
}
