/** STANs counted in memory from 1, for a bank link under test on its own, without a gateway journal to keep them. */
import type { StanStore } from '../../gateway/bank/bank-link.ts';

export function memoryStans(): StanStore {
  let last = 0;
  return { next: async () => (last = (last % 999999) + 1) };
}
