/**
 * One killable process of a chaos run (a kiosk or the gateway) with the journal tap preloaded: its journal steps
 * as events, arming a freeze after a chosen state, reading its journal back, and SIGKILL + restart on the same data
 * dir. A kiosk member also serves its card field from the harness (the cards outlive the process).
 */
import { EventEmitter } from 'node:events';
import type { ChildProcess } from 'node:child_process';
import type { CardReader } from '../../hal/card-reader/card-reader.ts';
import { serveCardField } from './card-field-ipc.ts';
import type { DumpReply, JournalStep } from './child-tap.ts';
import { kill, spawnTapped, type Proc } from './processes.ts';

export class Member extends EventEmitter<{ journal: [step: JournalStep] }> {
  #proc: Proc | null = null;
  /** The next process, modules loaded, waiting to take over: a restart costs what opening the journal costs. */
  #spare: ReturnType<typeof spawnTapped> | null = null;
  #field: CardReader | null = null;
  #unserve: (() => void) | null = null;
  #nextDump = 0;

  constructor(
    readonly name: string,
    private readonly args: string[],
    private readonly env: NodeJS.ProcessEnv = {},
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

  /** Stop right after each `state` of the machine at `prefix` is written: for good (freeze) or until resume(). [] disarms. */
  arm(arms: Array<{ prefix: string; state: string; action: 'freeze' | 'pause' }>): void {
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

  async stop(): Promise<void> {
    this.#unserve?.();
    if (this.#spare) await kill(this.#spare.child);
    if (this.#proc) await kill(this.#proc.child, 'SIGTERM');
    this.#proc = this.#spare = null;
  }

  output(): string {
    return this.#proc?.output() ?? '';
  }

  dump(prefixes: string[]): Promise<Record<string, unknown[]>> {
    const child = this.child;
    const id = ++this.#nextDump;
    return new Promise((resolve, reject) => {
      const onMessage = (m: unknown) => {
        if ((m as DumpReply).t !== 'dump-reply' || (m as DumpReply).id !== id) return;
        done();
        resolve((m as DumpReply).entries);
      };
      const onExit = () => {
        done();
        reject(new Error(`${this.name} ended while its journal was read`));
      };
      const done = () => {
        child.off('message', onMessage);
        child.off('exit', onExit);
      };
      child.on('message', onMessage);
      child.once('exit', onExit);
      child.send({ t: 'dump', id, prefixes });
    });
  }
}
