/**
 * The front-end gateway (圈存前置) process: journal and ledger, key store, bank connections, and the MQTT endpoint
 * that serves the kiosks. Started and stopped in a fixed order; a bank that is down makes its loads fail with
 * BANK_UNAVAILABLE, it does not stop the gateway. With a `ca` section it enrols kiosks with the campus CA and serves
 * only those enrolled and not revoked.
 */
import { join } from 'node:path';
import { readConfigFile } from '../common/config-errors.ts';
import { brokerAclSettings, caDir, type LoadedConfig } from '../common/config.ts';
import type { Logger } from '../common/log.ts';
import type { DurableStore } from '../common/store/durable-store.ts';
import { GatewayEndpoint } from './link/gateway-endpoint.ts';
import { identityName } from '../common/api/access.ts';
import { KeyStore } from './keystore/key-store.ts';
import { CampusLedger } from './ledger/campus-ledger.ts';
import { oneCardFromConfig } from './onecard/one-card-from-config.ts';
import type { OneCardSystem } from './onecard/one-card-system.ts';
import { PostingRelay } from './onecard/posting-relay.ts';
import { LoadService } from './loads/load-service.ts';
import { createBankConnection, type BankConnection } from './banks.ts';
import { StanCounters } from './bank/stan-counter.ts';
import { SettlementService } from './settlement/settlement-service.ts';
import { DEFAULT_RETRY, type RetryPolicy } from './saf/reversal-queue.ts';
import { TxnReports } from './events/txn-reports.ts';
import { KioskEnrolment, type EnrolmentData } from './ca/kiosk-enrolment.ts';
import { CaRegistry } from './ca/registry.ts';
import { applyBrokerAcl } from './ca/broker-acl.ts';
import { IsoJournal } from './bank/iso-journal.ts';
import { BankSessions } from './bank/bank-sessions.ts';
import { Transactions } from './loads/transactions.ts';
import { gatewaySigner, KioskCommands } from './commands/kiosk-commands.ts';
import { LoadTally } from './loads/load-tally.ts';
import { Fleet } from './fleet/fleet.ts';
import { GatewayMetrics } from './metrics/metrics.ts';
import { GatewayHealth } from './metrics/health.ts';
import { startConsole, type ConsoleServer } from './console/console-server.ts';
import { ConsoleUsers } from './console/auth/console-users.ts';
import { AnnouncementService } from './announcements/announcement-service.ts';
import { MoneyOwed } from './loads/money-owed.ts';
import { ReconcileService } from './reconcile/reconcile-service.ts';
import { FeeService } from './fees/fee-service.ts';
import { gatewayStore } from './store/gateway-store.ts';
import { PgStore, type WaitingGateway } from './store/pg-store.ts';
import { feeRecords } from './fees/fee-records.ts';
import { FeeStories } from './fees/fee-stories.ts';
import { CampusCredits } from './credits/campus-credits.ts';
import { OwedCredits } from './credits/owed-credits.ts';
import { creditRecords } from './credits/credit-records.ts';
import { SubsidyService } from './subsidies/subsidy-service.ts';
import { cardRecords } from './queries/card-records.ts';
import { RecentLookups } from './queries/recent-lookups.ts';
import { TransferService } from './transfers/transfer-service.ts';

export interface GatewayOptions {
  loaded: LoadedConfig;
  mqttUrl: string;
  log: Logger;
  version: string;
  /** Where each bank really is, when it differs from the config (the embedded bank simulator's port). */
  bankAddresses?: Map<string, { host: string; port: number }>;
  dataDir?: string;
  /** Where each biller really is, when it differs from the config (the embedded biller simulator's port). */
  billerUrls?: Map<string, string>;
  /** Backoff of the store-and-forward reversals, over the config's `reversals`; tests shorten it. */
  reversalRetry?: Partial<RetryPolicy>;
  /** The clock of what expires (subsidies) and of their MAC2s; tests move it. */
  now?: () => Date;
  /** The gateway process (`quancun gateway`): on a store configured `standby`, start() waits to take it over. */
  standby?: boolean;
  /** Called once a standby starts waiting, with the gateway that holds the store (a service manager hears it is up). */
  onStandby?: (holder: string) => void;
}

export class Gateway {
  readonly store: DurableStore;
  /** The campus's one-card system: the cardholder accounts, and where postings are delivered (gateway/onecard/). */
  readonly oneCard: OneCardSystem;
  /** Delivers each posting to an external one-card system; none with the built-in one, whose record is the store. */
  readonly oneCardRelay: PostingRelay | undefined;
  readonly ledger: CampusLedger;
  readonly banks = new Map<string, BankConnection>();
  readonly loads: LoadService;
  /** Fees paid from the purse to billers (gateway/fees/), and the refunds owed back to cards when a biller was not paid. */
  readonly fees: FeeService;
  /** The outcomes kiosks report from their outboxes, each kept once. */
  readonly reports: TxnReports;
  readonly settlement: SettlementService;
  /** Every ISO 8583 message with the banks, masked, for the console. */
  readonly isoMessages: IsoJournal;
  /** Search, story and live changes of the loads, for the console. */
  readonly transactions: Transactions;
  /** Search and story of the fees, and the billers' health, for the console. */
  readonly feeStories: FeeStories;
  /** Each bank's session, answer times and settlement runs, and the operator's session actions. */
  readonly bankSessions: BankSessions;
  /** Notices for the kiosk screens, retained on the broker (gateway/announcements/). */
  readonly announcements: AnnouncementService;
  /** What the campus owes (reversals, pending loads, unfinished loads) and an operator's actions on it. */
  readonly owed: MoneyOwed;
  /** Reconciliation runs on this gateway's store, while it runs or (quancun reconcile) while it is stopped. */
  readonly reconcile: ReconcileService;
  /** Credits the campus funds and owes cards (subsidies, fee refunds, transfers), with their expiry (gateway/credits/). */
  readonly credits: CampusCredits;
  /** 补助: subsidies issued by batch or one at a time, and their report (gateway/subsidies/). */
  readonly subsidies: SubsidyService;
  /** Standing orders and their batch transfer runs (gateway/transfers/, docs/batch-transfer.md). */
  readonly transfers: TransferService;
  /** Set at start when the config has a `ca` section. */
  enrolment: KioskEnrolment | undefined;
  /** Every kiosk's state, faults, telemetry and loads today, and the signed commands the console sends. */
  readonly fleet: Fleet;
  /** The Prometheus text the console serves at /metrics. */
  readonly metrics: GatewayMetrics;
  /** Whether the gateway makes progress on its own side, for the console's /health. */
  readonly health: GatewayHealth;
  /** The gateways waiting to take the store over: on PostgreSQL configured with a standby, else none to watch. */
  readonly standbys: (() => Promise<WaitingGateway[]>) | undefined;
  /** The operator console, started last when the config has a `console` section (docs/console.md). */
  console: ConsoleServer | undefined;
  #consoleUsers: ConsoleUsers | undefined;
  private readonly endpoint: GatewayEndpoint;
  private readonly keys: KeyStore;
  private readonly tally: LoadTally;
  /** The cards each kiosk just looked up: the only ones whose records it may read (records.query). */
  private readonly lookups = new RecentLookups();

  /** The version this gateway runs, as it tells the broker and the console. */
  get version(): string {
    return this.o.version;
  }

  constructor(private readonly o: GatewayOptions) {
    const { config } = o.loaded;
    this.store = gatewayStore(config, o.dataDir ?? o.loaded.dataDir, o.log, { standby: o.standby ?? false, onStandby: o.onStandby });
    this.oneCard = oneCardFromConfig(o.loaded, this.store, o.log.child({ part: 'onecard' }));
    this.ledger = new CampusLedger(this.store, this.oneCard);
    const { oneCard } = config;
    this.oneCardRelay = oneCard.kind === 'built-in'
      ? undefined
      : new PostingRelay({ store: this.store, system: this.oneCard, policy: oneCard.relay, log: o.log.child({ part: 'onecard' }) });
    const keys = new KeyStore({
      issuer: {
        load: Buffer.from(config.issuer.masterKeys.load, 'hex'),
        purchase: Buffer.from(config.issuer.masterKeys.purchase, 'hex'),
        tac: Buffer.from(config.issuer.masterKeys.tac, 'hex'),
      },
      pinMasterKey: Buffer.from(config.issuer.pinMasterKey, 'hex'),
      ...(config.issuer.padTransportMasterKey ? { padTransportMasterKey: Buffer.from(config.issuer.padTransportMasterKey, 'hex') } : {}),
    });
    this.keys = keys;
    const stans = new StanCounters(this.store);
    this.isoMessages = new IsoJournal(this.store, { log: o.log });
    for (const bank of config.banks) {
      this.banks.set(bank.id, createBankConnection(bank, keys, stans.forTerminal(bank.terminalId), o.log, o.bankAddresses?.get(bank.id),
        this.isoMessages.tap(bank.id)));
    }
    const reversalRetry = o.reversalRetry ?? config.reversals;
    this.loads = new LoadService({ store: this.store, ledger: this.ledger, keys, banks: this.banks, limits: config.limits, log: o.log,
      timeZone: config.campus.timeZone, ...(reversalRetry ? { reversalRetry } : {}),
      creditInDoubt: (asn) => this.credits.inDoubt(asn),
    });
    this.credits = new CampusCredits({ store: this.store, ledger: this.ledger, keys, purseLimit: config.limits.purseLimit,
      timeZone: config.campus.timeZone, log: o.log, loadInDoubt: (asn) => this.loads.inDoubt(asn), ...(o.now ? { now: o.now } : {}) });
    this.subsidies = new SubsidyService({ store: this.store, ledger: this.ledger, credits: this.credits, timeZone: config.campus.timeZone,
      ...(o.now ? { now: o.now } : {}) });
    const owed = new OwedCredits(this.loads, this.credits);
    this.settlement = new SettlementService({ store: this.store, loads: this.loads.loads, ledger: this.ledger, banks: this.banks, log: o.log,
      timeZone: config.campus.timeZone });
    const { tls } = o.loaded;
    this.endpoint = new GatewayEndpoint({
      url: o.mqttUrl, identity: tls?.identity ?? identityName.gateway('main'), ...(tls ? { tls } : {}), version: o.version, log: o.log,
      ...(config.ca ? { admit: (kioskId: string) => this.enrolment!.admit(kioskId) } : {}),
    });
    if (config.ca) this.endpoint.handleEnrolment((data) => this.enrol(data));
    this.fees = new FeeService({ store: this.store, ledger: this.ledger, keys: keys.card, billers: config.billers, credits: this.credits,
      timeZone: config.campus.timeZone, log: o.log, ...(o.billerUrls ? { billerUrls: o.billerUrls } : {}),
      lookedUp: (kiosk, asn) => this.lookups.seen(kiosk, asn) });
    // Everything owed to a card (pending loads, subsidies, fee refunds) is written by the collect flow: its ids go to their owner.
    this.endpoint.handle('card.lookup', async (kiosk, req) => {
      const answer = await owed.lookup(kiosk, req);
      // Fees in doubt are decided at the tap by the card's offline counter (docs/fees.md), like credits by the online one.
      const feesInDoubt = await this.fees.inDoubt(req.asn);
      this.lookups.looked(kiosk, req.asn);
      return { ...answer, feesInDoubt };
    });
    this.endpoint.handle('load.authorize', (kiosk, req) => this.loads.authorize(kiosk, req));
    this.endpoint.handle('load.confirm', (kiosk, req) => owed.confirm(kiosk, req));
    this.endpoint.handle('load.abandon', (kiosk, req) => this.loads.abandon(kiosk, req));
    this.endpoint.handle('load.recredit', (kiosk, req) => owed.recredit(kiosk, req));
    this.endpoint.handle('fee.lookup', (kiosk, req) => this.fees.lookup(kiosk, req));
    this.endpoint.handle('fee.begin', (kiosk, req) => this.fees.begin(kiosk, req));
    this.endpoint.handle('fee.confirm', (kiosk, req) => this.fees.confirm(kiosk, req));
    this.endpoint.handle('fee.abandon', (kiosk, req) => this.fees.abandon(kiosk, req));
    this.endpoint.handle('load.park', (kiosk, req) => this.loads.park(kiosk, req));
    this.endpoint.handle('txn.status', (kiosk, req) => this.loads.status(kiosk, req));
    this.endpoint.handle('records.query', async (kiosk, req) => {
      this.lookups.check(kiosk, req.asn);
      return cardRecords({
        loads: this.loads.loads, pendingLoads: (asn) => this.loads.pendingLoads(asn),
        others: [(asn) => feeRecords(this.fees.fees, asn), (asn) => creditRecords(this.credits, asn)],
      }, req);
    });
    this.announcements = new AnnouncementService({ store: this.store, kiosks: config.kiosks, broker: this.endpoint, log: o.log });
    this.reports = new TxnReports(this.store, o.log);
    this.owed = new MoneyOwed({ loads: this.loads, credits: this.credits, ...(reversalRetry?.attentionAfter ? { attentionAfter: reversalRetry.attentionAfter } : {}) });
    this.transfers = new TransferService({
      store: this.store, ledger: this.ledger, banks: this.banks, credits: this.credits, loads: this.loads.loads,
      limits: config.limits, timeZone: config.campus.timeZone, perSecond: config.transfers?.perSecond ?? 5, log: o.log.child({ part: 'transfers' }),
      ...(reversalRetry ? { reversalRetry } : {}),
    });
    this.reconcile = new ReconcileService({
      loaded: o.loaded, dataDir: o.dataDir ?? o.loaded.dataDir, store: this.store, loads: this.loads, transfers: this.transfers.transfers, ledger: this.ledger,
      reports: this.reports, banks: this.banks, log: o.log,
    });
    this.endpoint.onEvent('txn', async (kiosk, event) => void (await this.reports.record(kiosk, event)));
    const settlements = this.settlement.records;
    this.transactions = new Transactions({ loads: this.loads.loads, ledger: this.ledger, reports: this.reports, iso: this.isoMessages,
      settlements, timeZone: config.campus.timeZone, log: o.log });
    this.feeStories = new FeeStories({ fees: this.fees, credits: this.credits, ledger: this.ledger, reports: this.reports, timeZone: config.campus.timeZone });
    this.bankSessions = new BankSessions({ banks: this.banks, iso: this.isoMessages, settlements, timeZone: config.campus.timeZone });
    this.tally = new LoadTally(this.loads.loads, config.campus.timeZone);
    const commands = new KioskCommands({ endpoint: this.endpoint, signer: gatewaySigner(o.loaded), timeoutMs: (config.commands?.timeoutSeconds ?? 30) * 1000 });
    this.fleet = new Fleet({ kioskIds: config.kiosks.map((k) => k.id), endpoint: this.endpoint, loads: this.loads.loads, tally: this.tally, commands });
    const store = this.store;
    // Configured with a standby, the gateway watches that one waits: its failover.
    this.standbys = store instanceof PgStore && config.store.backend === 'postgres' && config.store.standby ? () => store.standbys() : undefined;
    const sources = { loads: this.loads.loads, banks: this.banks, reversals: this.loads.reversals, endpoint: this.endpoint, oneCard: this.oneCardRelay,
      standbys: this.standbys };
    this.metrics = new GatewayMetrics({ ...sources, tally: this.tally });
    this.health = new GatewayHealth({ ...sources, store: this.store, attentionAfter: { ...DEFAULT_RETRY, ...reversalRetry }.attentionAfter });
  }

  async start(): Promise<void> {
    const { loaded } = this.o;
    // A gateway told to enrol kiosks without a CA to sign with does not start: it would refuse every kiosk.
    if (loaded.config.ca) {
      this.enrolment = await KioskEnrolment.open(caDir(loaded, this.o.dataDir), {
        kiosks: loaded.config.kiosks, codeTtlHours: loaded.config.ca.codeTtlHours, registry: CaRegistry.of(loaded, this.o.dataDir),
      });
    }
    await this.store.open();
    await this.isoMessages.start();
    await this.oneCard.open();
    // Postings owed from before this start go out alongside the kiosks' loads.
    await this.oneCardRelay?.start();
    await this.tally.start();
    await this.settlement.restoreBatches();
    await this.reconcile.recover();
    await Promise.all([...this.banks.values()].map((bank) => this.signOn(bank)));
    await this.settlement.recover();
    this.settlement.startSchedule();
    // Loads a stop interrupted end, and reversals owed from before it go out, before new loads come in.
    await this.loads.closeUnsent();
    await this.loads.reversals.start();
    // Credits that expired while the gateway was stopped go back to the campus before a kiosk can ask for one.
    await this.credits.start();
    await this.fees.start();
    // Fees a stop interrupted between the card's debit and the biller's answer are paid (same id) or owed back; not awaited,
    // as a biller may take its timeouts: their confirm waits its turn behind this.
    void this.fees.resume().catch((err: Error) => this.o.log.error('fee resumption failed', { error: err }));
    await this.transfers.start();
    // A run a stop interrupted finishes alongside the kiosks' loads; it may take as long as its pacing says.
    void this.transfers.resume().catch((err: Error) => this.o.log.error('resuming the interrupted transfer run failed', { error: err }));
    if (loaded.config.transfers?.runAt) this.transfers.startSchedule(loaded.config.transfers.runAt);
    await this.announcements.start();
    await this.endpoint.start();
    await this.endpoint.publishState(this.bankStates());
    await this.startConsole();
  }

  private async startConsole(): Promise<void> {
    const { loaded } = this.o;
    const settings = loaded.config.console;
    if (!settings) return;
    const file = (key: 'cert' | 'key') => readConfigFile(loaded.path, `console.tls.${key}`, settings.tls![key]).toString('utf8');
    this.console = await startConsole(this, this.store, {
      host: settings.host,
      port: settings.port,
      ...(settings.tls ? { tls: { cert: file('cert'), key: file('key') } } : {}),
      users: (this.#consoleUsers = ConsoleUsers.of(loaded, this.o.dataDir)),
      idleMinutes: settings.idleMinutes,
      lockout: settings.lockout,
      health: () => this.health.check(),
      metrics: this.metrics,
    }, this.o.log.child({ part: 'console' }));
  }

  async stop(): Promise<void> {
    await this.console?.close();
    this.settlement.stopSchedule();
    this.credits.stop();
    this.fees.stop();
    await this.announcements.stop();
    await this.endpoint.stop();
    // A reconciliation under way ends before the bank links and the store it uses close.
    await this.reconcile.stop();
    // No new reversal tries; one in flight ends when its bank link closes and stays owed in the journal.
    const reversalsStopped = Promise.all([this.loads.reversals.stop(), this.transfers.stop()]);
    // Sign off politely; a bank that does not answer is closed all the same.
    await Promise.all([...this.banks.values()].map((b) => b.link.signOff({ responseMs: 2000 }).catch(() => {}).then(() => b.link.close())));
    await reversalsStopped;
    await this.isoMessages.stop();
    await this.oneCardRelay?.stop();
    await this.oneCard.close();
    await this.store.close();
    await this.#consoleUsers?.close();
    await this.enrolment?.registry.close();
  }

  private async enrol(data: EnrolmentData) {
    const fields = { kioskId: data.kioskId, boardSerial: data.boardSerial };
    try {
      const enrolled = await this.enrolment!.enrol(data, {
        pinKeyFor: (terminalId, padSerial) => this.keys.pinKeyForPad(terminalId, padSerial),
        txnSeqFloor: await this.highestTxnSeq(data.kioskId),
      });
      this.o.log.info('kiosk enrolled', { ...fields, location: data.location });
      await this.applyBrokerAcl(); // an enrolment lifts a revocation
      return enrolled;
    } catch (err) {
      this.o.log.warn('enrolment refused', { ...fields, error: (err as Error).message });
      throw err;
    }
  }

  /** The highest transaction number of a kiosk id among the loads and the kiosk reports the gateway keeps. */
  private async highestTxnSeq(kioskId: string): Promise<number> {
    const own = new RegExp(`^${kioskId}-(\\d+)$`);
    // Only this kiosk's records are read; the pattern still tells K003's ids from a kiosk K003-X's.
    const ids = [...(await this.loads.loads.all(`${kioskId}-`)).map((r) => r.id), ...(await this.reports.all(kioskId)).map((r) => r.event.txnId)];
    return Math.max(0, ...ids.map((id) => Number(own.exec(id)?.[1] ?? 0)));
  }

  /** The broker's ACL file from the registry, when quancun keeps it (`ca.broker`); a failed reload is for an operator. */
  private async applyBrokerAcl(): Promise<void> {
    const settings = brokerAclSettings(this.o.loaded);
    if (!settings) return;
    await applyBrokerAcl(this.enrolment!.registry, settings)
      .catch((err: Error) => this.o.log.error('the broker ACL could not be applied', { error: err.message }));
  }

  private async signOn(bank: BankConnection): Promise<void> {
    try {
      await bank.link.startSession();
    } catch (err) {
      this.o.log.error('bank sign-on failed; loads to this bank fail until it succeeds', { bank: bank.id, error: err as Error });
    }
  }

  private bankStates(): Record<string, 'signed-on' | 'signed-off' | 'unreachable'> {
    return Object.fromEntries([...this.banks.values()].map((b) => [b.id, b.link.signedOn ? 'signed-on' : 'signed-off']));
  }
}
