/** What the benchmarks share to measure: a percentile of samples, and a loopback TCP echo for the ISO 8583 floor. */
import { once } from 'node:events';
import net from 'node:net';

/** The p-th percentile (nearest rank) of the samples; NaN when there are none. */
export function percentile(xs: number[], p: number): number {
  return xs.length ? [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)]! : NaN;
}

/** A TCP echo on a loopback port (TCP_NODELAY, as the bank link): what an ISO 8583 round trip cannot be faster than. */
export async function tcpEcho(): Promise<net.Server> {
  const server = net.createServer((s) => {
    s.setNoDelay(true);
    s.pipe(s);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}
