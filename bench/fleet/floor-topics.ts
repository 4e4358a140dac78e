/** The floor's raw round trips: topics outside the product's API (common/api/topics.ts), on the kiosks' own connections. */
export interface FloorRequest {
  id: string;
  /** Synced commits the echo makes before it answers, as the gateway makes for this request. */
  writes: number;
  /** Whether the echo makes an ISO 8583-sized round trip over TCP first, as the gateway asks the bank. */
  iso: boolean;
  payload: string;
}

export const floorRequestTopic = (kioskId: string) => `bench/floor/${kioskId}/request`;
export const floorResponseTopic = (kioskId: string) => `bench/floor/${kioskId}/response`;
export const FLOOR_REQUESTS = 'bench/floor/+/request';
