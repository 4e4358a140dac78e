import test from 'ava';
import { once } from 'node:events';
import { createServer, connect, type Socket } from 'node:net';
import { answerDeadline } from '../../common/answer-deadline.ts';

/** A connected pair of TCP sockets on loopback: what one writes is in the other's kernel buffer at once. */
async function socketPair(): Promise<[Socket, Socket, () => void]> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  const accepted = once(server, 'connection') as Promise<[Socket]>;
  const client = connect(port, '127.0.0.1');
  await once(client, 'connect');
  const [peer] = await accepted;
  return [client, peer, () => { client.destroy(); peer.destroy(); server.close(); }];
}

/** Waits for the peer's answer against the deadline, as the device backends do. */
function answerOrTimeout(socket: Socket, ms: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const deadline = answerDeadline(ms, () => reject(new Error('timeout')));
    socket.once('data', (d) => {
      deadline.clear();
      resolve(d.toString());
    });
  });
}

/** Keeps the event loop busy, as a long render on a slow board does. */
function stall(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end);
}

test('an answer that arrived while the event loop was stalled past the deadline wins over the timeout', async (t) => {
  const [client, peer, close] = await socketPair();
  const answer = answerOrTimeout(client, 50);
  peer.write('A');
  stall(300);
  t.is(await answer, 'A');
  close();
});

test('with no answer the deadline expires', async (t) => {
  const [client, , close] = await socketPair();
  await t.throwsAsync(answerOrTimeout(client, 50), { message: 'timeout' });
  close();
});

test('a deadline cleared after its timer fired but before it expired does not expire', async (t) => {
  let expired = false;
  const deadline = answerDeadline(0, () => (expired = true));
  // Runs in the same timers phase, just after the deadline's timer queued its expiry.
  await new Promise<void>((resolve) => setTimeout(() => { deadline.clear(); resolve(); }, 0));
  // Queued after the deadline's expiry: by now it has run, unless it was cleared.
  await new Promise((resolve) => setImmediate(resolve));
  t.false(expired);
});
