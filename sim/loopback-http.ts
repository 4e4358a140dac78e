/**
 * A simulator's HTTP server on 127.0.0.1 (the biller, the one-card centre): started on a port (0 picks a free one),
 * and taken down and up again on that same port, refusing connections meanwhile, as a real service that is down does.
 * Keep-alive sockets do not hold it open.
 */
import type { AddressInfo } from 'node:net';
import fastify, { type FastifyInstance } from 'fastify';

export class LoopbackHttp {
  #app: FastifyInstance | undefined;
  #port = 0;

  /** `routes` adds the simulator's hooks and routes to a fresh server, at each start. */
  constructor(private readonly routes: (app: FastifyInstance) => void) {}

  get port(): number {
    return this.#port;
  }

  async start(port = 0): Promise<void> {
    const app = fastify({ logger: false, forceCloseConnections: true });
    this.routes(app);
    await app.listen({ host: '127.0.0.1', port: port || this.#port });
    this.#port = (app.server.address() as AddressInfo).port;
    this.#app = app;
  }

  async stop(): Promise<void> {
    const app = this.#app;
    this.#app = undefined;
    await app?.close();
  }

  /** Listening again on the port it had. */
  restart(): Promise<void> {
    return this.start(this.#port);
  }
}
