/**
 * The QEMU machine protocol: commands to the emulator (screendump, input events, query-chardev, quit) and its events
 * (SHUTDOWN, WATCHDOG, VSERPORT_CHANGE ...) as they come.
 */
import { EventEmitter, once } from 'node:events';
import type { Socket } from 'node:net';
import { JsonChannel, type JsonMessage } from './json-channel.ts';

export interface QmpEvent {
  event: string;
  data: Record<string, unknown>;
}

export class Qmp extends EventEmitter<{ event: [QmpEvent]; greeting: [] }> {
  readonly channel: JsonChannel;
  /** Every event since the connection, oldest first: a test can look back at what already happened. */
  readonly events: QmpEvent[] = [];

  private constructor(socket: Socket) {
    super();
    this.channel = new JsonChannel(socket, 'QMP', (message: JsonMessage) => {
      if (message.QMP !== undefined) {
        this.emit('greeting');
        return;
      }
      const event = { event: message.event!, data: message.data ?? {} };
      this.events.push(event);
      this.emit('event', event);
    });
  }

  /** Waits for QEMU's greeting on a fresh connection and leaves capabilities negotiation mode. */
  static async open(socket: Socket): Promise<Qmp> {
    const qmp = new Qmp(socket);
    await once(qmp, 'greeting');
    await qmp.execute('qmp_capabilities');
    return qmp;
  }

  execute<T = unknown>(command: string, args?: object, timeoutMs?: number): Promise<T> {
    return this.channel.execute<T>(command, args, timeoutMs);
  }

  /** The first event named `name` (already seen or still to come) that `match` accepts. */
  async waitForEvent(name: string, timeoutMs: number, match: (data: Record<string, unknown>) => boolean = () => true): Promise<QmpEvent> {
    const seen = this.events.find((e) => e.event === name && match(e.data));
    if (seen) return seen;
    return new Promise((resolve, reject) => {
      const onEvent = (e: QmpEvent) => {
        if (e.event !== name || !match(e.data)) return;
        clearTimeout(timer);
        this.off('event', onEvent);
        resolve(e);
      };
      const timer = setTimeout(() => {
        this.off('event', onEvent);
        reject(new Error(`QMP: no ${name} event within ${timeoutMs} ms`));
      }, timeoutMs);
      this.on('event', onEvent);
    });
  }
}
