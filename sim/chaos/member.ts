/**
 * One killable process of a chaos run (a kiosk or the gateway) with the journal tap preloaded: its journal steps
 * as events, arming a freeze after a chosen state, reading its journal back, and SIGKILL + restart on the same data
 * dir. A kiosk member also serves its card field from the harness (the cards outlive the process).
 */
import { EventEmitter } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import type { ChildProcess } from 'node:child_process';
import type { CardReader } from '../../hal/card-reader/card-reader.ts';
import { serveCardField } from './card-field-ipc.ts';
import type { Arm, CampusAct, JournalStep, TapReply } from './child-tap.ts';
import { kill, spawnTapped, type Proc } from './processes.ts';

export class Member extends EventEmitter<{ journal: [step: JournalStep] }> {
  #proc: Proc | null = null;
  /** The next process, modules loaded, waiting to take over: a restart costs what opening the journal costs. */
  #spare: ReturnType<typeof spawnTapped> | null = null;
  #field: CardReader | null = null;
  #unserve: (() => void) | null = null;
  #nextAsk = 0;

  /**
   * `standby`: the spare is let go at once, and waits as a standby does (a gateway on PostgreSQL for the store's lock):
   * killing the running process is then all it takes for the spare to take over by itself.
   */
  constructor(
    readonly name: string,
    private readonly args: string[],
    private readonly env: NodeJS.ProcessEnv = {},
    private readonly standby = false,
  ) {
    super();
  }

  get child(): ChildProcess {
    if (!this.#proc) throw new Error(`${this.name} is not running`);
    return this.#proc.child;
  }

  async start(): Promise<void> {
    const next = this.#spare ?? this.#spawn();
    this.#spare = null;
    if (this.#field) this.#unserve = serveCardField(next.child, this.#field);
    next.go();
    await next.ready;
    this.#proc = next;
    this.#spare = this.#spawn();
    if (this.standby) this.#spare.go();
  }

  #spawn(): ReturnType<typeof spawnTapped> {
    const proc = spawnTapped(this.args, this.env);
    proc.child.on('message', (m) => {
      if ((m as JournalStep).t === 'journal') this.emit('journal', m as JournalStep);
    });
    return proc;
  }

  /** The card field this kiosk process reads from now on (a fresh one per run: no fault stays armed). */
  useField(field: CardReader): void {
    this.#unserve?.();
    this.#field = field;
    this.#unserve = this.#proc ? serveCardField(this.#proc.child, field) : null;
  }

  /**
   * Stop right after each `state` of the machine at `prefix` is written (its `skip`+1-th time): for good (freeze) or
   * until resume(). [] disarms.
   */
  arm(arms: Arm[]): void {
    if (this.#proc?.child.connected) this.#proc.child.send({ t: 'arm', arms });
  }

  resume(id: string): void {
    if (this.#proc?.child.connected) this.#proc.child.send({ t: 'resume', id });
  }

  async restart(): Promise<void> {
    this.#unserve?.();
    this.#unserve = null;
    if (this.#proc) await kill(this.#proc.child);
    this.#proc = null;
    await this.start();
  }

  /**
   * The running process stopped (SIGSTOP) for `ms`, then let go on: alive, its connections open, answering nothing,
   * as a process held up by a long pause is. Killed meanwhile (another fault), it stays killed; killed before (a
   * kill at the same step, the process being replaced), there is nothing to stall.
   */
  async stall(ms: number): Promise<void> {
    const pid = this.#proc?.child.pid;
    if (pid === undefined) return;
    const signal = (s: NodeJS.Signals) => {
      try {
        process.kill(pid, s);
      } catch {
        // gone already: a kill of another fault came first
      }
    };
    signal('SIGSTOP');
    await delay(ms);
    signal('SIGCONT');
  }

  async stop(): Promise<void> {
    this.#unserve?.();
    if (this.#spare) await kill(this.#spare.child);
    if (this.#proc) await kill(this.#proc.child, 'SIGTERM');
    this.#proc = this.#spare = null;
  }

  output(): string {
    return this.#proc?.output() ?? '';
  }

  /** The journals under `prefixes`, each store read at one moment. */
  dump(prefixes: string[]): Promise<Record<string, unknown[]>> {
    return this.#ask({ t: 'dump', prefixes }) as Promise<Record<string, unknown[]>>;
  }

  /** An act of the campus side on the gateway process (child-tap.ts); rejects with its error, or if the process ends first. */
  campus(act: CampusAct): Promise<unknown> {
    return this.#ask({ t: 'campus', act });
  }

  #ask(request: { t: string; [key: string]: unknown }): Promise<unknown> {
    const child = this.child;
    const id = ++this.#nextAsk;
    return new Promise((resolve, reject) => {
      const onMessage = (m: unknown) => {
        const answer = m as TapReply;
        if (answer.t !== 'tap-reply' || answer.id !== id) return;
        done();
        if (answer.error !== undefined) reject(new Error(`${this.name}: ${answer.error}`));
        else resolve(answer.result);
      };
      const onExit = () => {
        done();
        reject(new Error(`${this.name} ended before it answered ${request.t}`));
      };
      const done = () => {
        child.off('message', onMessage);
        child.off('exit', onExit);
      };
      child.on('message', onMessage);
      child.once('exit', onExit);
      child.send({ ...request, id });
    });
  }
}
