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
  readonly #channel: JsonChannel;

  private constructor(socket: Socket) {
    super();
    this.#channel = new JsonChannel(socket, 'QMP', (message: JsonMessage) => {
      if (message.QMP !== undefined) {
        this.emit('greeting');
        return;
      }
      this.emit('event', { event: message.event!, data: message.data ?? {} });
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
    return this.#channel.execute<T>(command, args, timeoutMs);
  }
}
