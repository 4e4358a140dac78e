/**
 * Loads a card is still owed: MAC2 issued and no TAC yet (a torn write waiting for the card, or a pending load,
 * 圈存未领). Indexed by card, written in the same batch as the state that opens or closes them, so `card.lookup` lists
 * them without a scan, and a new load for the card waits until they are written: a second load would move the card's
 * online counter and leave the first one undecidable.
 */
import type { DurableStore, Op } from '../../common/store/durable-store.ts';
import type { JournaledMachine } from '../../common/store/journaled-machine.ts';
import type { GatewayLoadRecord, GatewayLoadState } from './gateway-load-machine.ts';

const prefix = (asn: string) => `gw/card-open/${asn.toUpperCase()}/`;

export const openLoadOp = (r: GatewayLoadRecord): Op => ({ type: 'put', key: prefix(r.asn) + r.id, value: r.id });
export const closeLoadOp = (r: GatewayLoadRecord): Op => ({ type: 'del', key: prefix(r.asn) + r.id });

const OPEN: ReadonlySet<GatewayLoadState> = new Set(['mac2-issued', 'pending-load']);

/** The card's open loads, oldest id first. An entry whose record moved on by another path is skipped, not trusted. */
export async function openLoads(
  store: DurableStore, loads: JournaledMachine<GatewayLoadState, GatewayLoadRecord>, asn: string,
): Promise<GatewayLoadRecord[]> {
  const entries = await store.list<string>(prefix(asn));
  const records = await Promise.all(entries.map((e) => loads.get(e.value)));
  return records.filter((r): r is GatewayLoadRecord => r !== undefined && OPEN.has(r.state));
}
