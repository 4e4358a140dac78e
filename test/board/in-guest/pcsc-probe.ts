/**
 * Run in the guest (shared node, shared node_modules): waits for a card in the first vpcd reader of the guest's pcscd,
 * sends the APDUs given as hex arguments and prints {reader, atr, answers, ms} as JSON (ms: each APDU's round trip). That the pcsclite addon built on
 * the host loads here is part of what it shows.
 *   node --import tsx /opt/quancun/test/board/in-guest/pcsc-probe.ts 00A40400... 805C000204
 */
import { createRequire } from 'node:module';
import type pcscType from 'pcsclite';

const READER = 'Virtual PCD 00 00';
const apdus = process.argv.slice(2).map((hex) => Buffer.from(hex, 'hex'));
const pcsc = (createRequire(import.meta.url)('pcsclite') as typeof pcscType)();

const fail = (err: Error) => {
  console.error(err.message);
  process.exit(1);
};
pcsc.on('error', fail);
pcsc.on('reader', (reader) => {
  if (reader.name !== READER) return;
  reader.on('error', fail);
  reader.on('status', (status) => {
    if (!(status.state & reader.SCARD_STATE_PRESENT)) return;
    reader.connect({ share_mode: reader.SCARD_SHARE_SHARED }, async (err, protocol) => {
      if (err) return fail(err);
      const transmit = (apdu: Buffer) =>
        new Promise<Buffer>((resolve, reject) => reader.transmit(apdu, 258, protocol!, (e, data) => (e ? reject(e) : resolve(data))));
      try {
        const answers: string[] = [];
        const ms: number[] = [];
        for (const apdu of apdus) {
          const started = performance.now();
          answers.push((await transmit(apdu)).toString('hex'));
          ms.push(Math.round(performance.now() - started));
        }
        console.log(JSON.stringify({ reader: reader.name, atr: status.atr?.toString('hex'), answers, ms }));
        // pcsclite keeps the process alive after close (docs/pcsc-testing.md): the answer is out, so end here.
        process.exit(0);
      } catch (e) {
        fail(e as Error);
      }
    });
  });
});
