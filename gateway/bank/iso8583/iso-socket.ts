/**
 * ISO 8583 over one TCP socket, for both ends (the gateway's bank link and the bank simulator): frames out, an
 * incremental frame decoder in, each body decoded by the profile's codec.
 */
import type { Socket } from 'node:net';
import { QuancunError } from '../../../common/errors.ts';
import type { Codec, IsoMessage } from './codec.ts';
import { FrameDecoder, frame } from './framing.ts';
import type { BankProfile } from './profile.ts';

export interface IsoSocketHandlers {
  /** `body` is the message from the MTI on, as received (the MAC covers it). */
  message(msg: IsoMessage, body: Buffer): void;
  /** A message that does not decode; a broken frame also closes the socket, the stream being out of step. */
  error(err: QuancunError): void;
}

/** Wires `socket` up and returns the function that sends a message body on it. */
export function attachIsoSocket(socket: Socket, profile: BankProfile, codec: Codec, side: 'client' | 'server',
  on: IsoSocketHandlers): (body: Buffer) => void {
  socket.setNoDelay(true);
  const decoder = new FrameDecoder(profile.framing);
  socket.on('data', (chunk: Buffer) => {
    let bodies: Buffer[];
    try {
      bodies = decoder.push(chunk);
    } catch (err) {
      on.error(QuancunError.from(err));
      socket.destroy();
      return;
    }
    for (const body of bodies) {
      let msg: IsoMessage;
      try {
        msg = codec.decode(body);
      } catch (err) {
        on.error(QuancunError.from(err));
        continue;
      }
      on.message(msg, body);
    }
  });
  const direction = side === 'client' ? 'request' : 'response';
  return (body) => {
    socket.write(frame(profile.framing, body, direction));
  };
}
