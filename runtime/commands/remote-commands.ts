/**
 * The kiosk's side of remote commands: each command from `command/{name}` is checked (command-check.ts) before
 * anything is done, then carried out, one at a time in arrival order, and answered on `command-result/{name}` with its
 * id. A command never cuts into a money step: while a load or collect runs the kiosk answers `waiting` and acts when
 * it has ended. A refusal is logged and answered with its code; it changes nothing.
 */
import { once } from 'node:events';
import type { X509Certificate } from 'node:crypto';
import { QuancunError } from '../../common/errors.ts';
import type { Fields, LogRing, Logger } from '../../common/log.ts';
import { peekId, type CommandName, type CommandResult, type CommandResultData } from '../../common/api/topics.ts';
import type { Kiosk } from '../kiosk.ts';
import { testPage } from '../ui/maintenance-info.ts';
import { checkCommand, type CheckedCommand } from './command-check.ts';
import { NonceStore } from './nonce-store.ts';
import { openRecords } from '../journal/kiosk-journal.ts';

export interface RemoteCommandsOptions {
  kiosk: Kiosk;
  kioskId: string;
  log: Logger;
  /** The records diagnostics sends. */
  ring: LogRing;
  ca: X509Certificate | undefined;
  /** Reads the announcements again and shows them; their number. Absent: refresh-announcements fails SERVICE_UNAVAILABLE. */
  reloadAnnouncements?: () => Promise<number>;
}

type Handlers = { [C in CommandName]: (cmd: CheckedCommand<C>) => Promise<CommandResultData<C>> };

export class RemoteCommands {
  readonly #o: RemoteCommandsOptions;
  #queue: Promise<void> = Promise.resolve();
  /** Set by the restart command once its result is out: the kiosk stops after the queue has let go. */
  #restart = false;

  constructor(o: RemoteCommandsOptions) {
    this.#o = o;
  }

  /** Queues a command as it came off the broker. */
  receive(name: string, payload: Buffer): void {
    this.#queue = this.#queue.then(() => this.#handle(name, payload)).catch((err: unknown) => {
      this.#o.log.error('command handling failed', { command: name, error: err as Error });
    });
  }

  async #handle(name: string, payload: Buffer): Promise<void> {
    const { kiosk, log } = this.#o;
    let cmd: CheckedCommand;
    try {
      if (!kiosk.journalOpen) throw new QuancunError('JOURNAL_UNAVAILABLE', 'the journal (where nonces are kept) is not open');
      cmd = await checkCommand(name, payload, { kioskId: this.#o.kioskId, ca: this.#o.ca, nonces: new NonceStore(kiosk.journal.store) });
    } catch (err) {
      const error = QuancunError.from(err);
      const id = peekId(payload);
      log.warn('command refused', { command: name, id, code: error.code, reason: error.message });
      if (id) await this.#reply(name, id, 'refused', { error: { code: error.code, message: error.message } });
      return;
    }
    const { id } = cmd.envelope;
    log.info('command accepted', { command: name, id, signer: cmd.signer });
    if (kiosk.inTransaction) {
      await this.#reply(name, id, 'waiting', { reason: 'card session in progress' });
      while (kiosk.inTransaction) await once(kiosk, 'idle');
    }
    try {
      const data = await (this.#handlers[cmd.name] as (c: CheckedCommand) => Promise<unknown>)(cmd);
      log.info('command done', { command: name, id });
      await this.#reply(name, id, 'done', { data });
    } catch (err) {
      const error = QuancunError.from(err);
      log.warn('command failed', { command: name, id, code: error.code, reason: error.message });
      await this.#reply(name, id, 'failed', { error: { code: error.code, message: error.message } });
    }
    if (this.#restart) void kiosk.restart();
  }

  async #reply(name: string, id: string, status: CommandResult['status'], rest: Partial<CommandResult>): Promise<void> {
    const result: CommandResult = { id, command: name, status, at: new Date().toISOString(), ...rest };
    await this.#o.kiosk.link.publishCommandResult(name, result).catch((err: unknown) => {
      this.#o.log.warn('command result not sent', { command: name, id, status, code: QuancunError.from(err).code });
    });
  }

  readonly #handlers: Handlers = {
    'out-of-service': async ({ args }) => ({ mode: await this.#o.kiosk.holdOutOfService(args.reason) }),
    'in-service': async () => ({ mode: await this.#o.kiosk.holdOutOfService(null) }),
    restart: async () => {
      this.#restart = true;
      return { restarting: true as const };
    },
    resync: async () => {
      const { kiosk } = this.#o;
      await kiosk.recover();
      await kiosk.link.republishState();
      const summary = await kiosk.journalSummary();
      return { openRecords: openRecords(summary), outboxDepth: summary.outboxDepth };
    },
    'print-test': async () => {
      const { kiosk, kioskId } = this.#o;
      const printer = kiosk.options.printer;
      if (!printer) throw new QuancunError('DEVICE_UNAVAILABLE', 'this kiosk has no receipt printer');
      await printer.print(testPage(kiosk.version, kioskId));
      return { printed: true as const };
    },
    'refresh-announcements': async () => {
      const reload = this.#o.reloadAnnouncements;
      if (!reload) throw new QuancunError('SERVICE_UNAVAILABLE', 'this kiosk was not started from a config file it can read again');
      return { announcements: await reload() };
    },
    'set-log-level': async ({ args }) => {
      const previous = this.#o.log.level;
      this.#o.log.setLevel(args.level);
      this.#o.log.warn('log level changed by a remote command', { level: args.level, previous });
      return { level: args.level, previous };
    },
    diagnostics: async () => ({
      logLevel: this.#o.log.level,
      log: this.#o.ring.records.map((r) => maskDigits(r) as Fields),
      journal: await this.#o.kiosk.journalSummary(),
    }),
  };
}

/**
 * A second net under the logger's redaction (common/log.ts drops fields named like PINs, card numbers and keys): a
 * long run of digits in any text (a card or account number) keeps its last four, a long hex run (a key, a PIN block, a
 * MAC) goes entirely. Transaction ids, times and UUIDs are shorter than both.
 */
export function maskDigits(value: unknown): unknown {
  if (typeof value === 'string') {
    return value.replace(/[0-9A-Fa-f]{16,}/g, (run) => (/^\d+$/.test(run) ? `${'*'.repeat(run.length - 4)}${run.slice(-4)}` : '[hex]'))
      .replace(/\d{12,}/g, (run) => `${'*'.repeat(run.length - 4)}${run.slice(-4)}`);
  }
  if (Array.isArray(value)) return value.map(maskDigits);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskDigits(v)]));
  return value;
}
