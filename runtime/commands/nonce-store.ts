/**
 * The nonces of the remote commands a kiosk accepted, kept in its journal's LevelDB until the command could no
 * longer be accepted anyway (its expiry plus the clock skew allowed): a restart does not reopen a replay window.
 */
import type { DurableStore } from '../../common/store/durable-store.ts';

const PREFIX = 'command-nonce/';

export class NonceStore {
  constructor(private readonly store: DurableStore) {}

  async seen(nonce: string): Promise<boolean> {
    return (await this.store.get(PREFIX + nonce)) !== undefined;
  }

  /** Synced before the command acts: a crash after this refuses the same command again, never runs it twice. */
  async remember(nonce: string, until: Date, now = new Date()): Promise<void> {
    const expired = (await this.store.list<{ until: string }>(PREFIX)).filter(({ value }) => new Date(value.until) < now);
    await this.store.batch([
      ...expired.map(({ key }) => ({ type: 'del' as const, key })),
      { type: 'put', key: PREFIX + nonce, value: { until: until.toISOString() } },
    ]);
  }
}
