/**
 * 补助: subsidies the campus issues to cardholders, as a CSV batch or one at a time. Each checked line becomes an owed
 * credit of source `subsidy` (gateway/credits/campus-credits.ts), written with its batch record in one batch: a
 * kiosk collects it at the card's tap, or it expires back to the campus. A batch is known by the hash of its checked
 * lines, so the same batch imported twice is refused. The report balances issued = collected + outstanding + expired.
 */
import { createHash, randomBytes } from 'node:crypto';
import { campusTime, dayBounds } from '../../common/campus-time.ts';
import { QuancunError } from '../../common/errors.ts';
import type { DurableStore } from '../../common/store/durable-store.ts';
import type { CampusLedger } from '../ledger/campus-ledger.ts';
import type { CampusCredits, NewCredit } from '../credits/campus-credits.ts';
import { subsidyReport, type SubsidyReport } from './subsidy-report.ts';
import { checkBatch, checkFields, type LineContext, type SubsidyFields, type SubsidyLine } from './subsidy-lines.ts';

export interface SubsidyBatch {
  batchId: string;
  /** batch: imported from a file; single: issued on its own. */
  kind: 'batch' | 'single';
  file?: string;
  importedAt: string;
  lines: Array<SubsidyLine & { creditId: string }>;
}

export interface SubsidyServiceOptions {
  store: DurableStore;
  ledger: CampusLedger;
  credits: CampusCredits;
  timeZone: string;
  now?: () => Date;
}

const batchKey = (batchId: string) => `gw/subsidy-batch/${batchId}`;

export class SubsidyService {
  readonly #now: () => Date;

  constructor(private readonly o: SubsidyServiceOptions) {
    this.#now = o.now ?? (() => new Date());
    o.credits.register({ source: 'subsidy', expiredCode: 'SUBSIDY_EXPIRED' });
  }

  /** Checks every line and imports all of them, or none (SUBSIDY_BATCH_INVALID, SUBSIDY_BATCH_DUPLICATE). */
  async import(text: string, file?: string): Promise<SubsidyBatch> {
    const lines = await checkBatch(text, this.#context());
    // The checked lines, not the bytes: the same batch saved again with other line ends is still the same batch.
    const batchId = createHash('sha256').update(JSON.stringify(lines.map(({ line: _, ...rest }) => rest))).digest('hex').slice(0, 12).toUpperCase();
    const earlier = await this.o.store.get<SubsidyBatch>(batchKey(batchId));
    if (earlier) {
      throw new QuancunError('SUBSIDY_BATCH_DUPLICATE', `this batch was imported on ${earlier.importedAt} as ${batchId}${earlier.file ? ` (${earlier.file})` : ''}`, { batchId });
    }
    return this.#write({ batchId, kind: 'batch', ...(file ? { file } : {}) }, lines);
  }

  /** One subsidy on its own, checked as a batch line is. */
  async issue(fields: SubsidyFields): Promise<SubsidyBatch> {
    const checked = await checkFields(0, fields, this.#context());
    if ('code' in checked) throw new QuancunError(checked.code, checked.message.replace(/^line 0: /, ''));
    return this.#write({ batchId: `S${randomBytes(5).toString('hex').toUpperCase()}`, kind: 'single' }, [checked]);
  }

  /** issued = collected + outstanding + expired, per batch and in total (subsidy-report.ts). */
  async report(): Promise<SubsidyReport> {
    return subsidyReport(await this.batches(), {
      posting: (id) => this.o.ledger.posting(id), credit: (id) => this.o.credits.credits.get(id), now: this.#now(),
    });
  }

  async batches(): Promise<SubsidyBatch[]> {
    return (await this.o.store.list<SubsidyBatch>('gw/subsidy-batch/')).map((e) => e.value).sort((a, b) => a.importedAt.localeCompare(b.importedAt));
  }

  async #write(batch: Omit<SubsidyBatch, 'importedAt' | 'lines'>, lines: SubsidyLine[]): Promise<SubsidyBatch> {
    const withIds = lines.map((l, i) => ({ ...l, creditId: `SUB-${batch.batchId}-${String(i + 1).padStart(4, '0')}` }));
    const record: SubsidyBatch = { ...batch, importedAt: this.#now().toISOString(), lines: withIds };
    const credits: NewCredit[] = [];
    for (const l of withIds) {
      const account = (await this.o.ledger.account(l.campusAccount))!;
      credits.push({
        id: l.creditId, source: 'subsidy', asn: account.asn, campusAccount: l.campusAccount, amount: l.amount,
        label: `${l.reason} ${l.period}`, expires: l.expires, expiresAt: dayBounds(l.expires, this.o.timeZone).end.toISOString(),
      });
    }
    await this.o.credits.owe(credits, [{ type: 'put', key: batchKey(batch.batchId), value: record }]);
    return record;
  }

  #context(): LineContext {
    return {
      accountExists: async (id) => (await this.o.ledger.account(id)) !== undefined,
      today: campusTime(this.#now(), this.o.timeZone).date,
    };
  }
}
