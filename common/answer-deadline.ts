/**
 * The deadline of a device's answer, which a stalled event loop cannot turn into a false timeout. When the loop was
 * blocked past the deadline (a long screen render on a slow board), Node runs due timers before it reads the I/O that
 * arrived meanwhile: an answer already on the wire would lose to its own timeout. Expiring one turn later
 * (setImmediate runs after the poll phase) lets an answer that is already here settle first.
 */
export interface AnswerDeadline {
  clear(): void;
}

export function answerDeadline(ms: number, expire: () => void): AnswerDeadline {
  let immediate: NodeJS.Immediate | undefined;
  const timer = setTimeout(() => (immediate = setImmediate(expire)), ms);
  return {
    clear() {
      clearTimeout(timer);
      if (immediate) clearImmediate(immediate);
    },
  };
}

/**
 * Asks a device up to `tries` times before its silence counts as a fault: one answer lost on a serial line, or late
 * from a board whose CPU was busy, is not a vanished device. Only for questions that change nothing (a status query,
 * a ping). `between` runs before each new try, e.g. to let a late answer to the last try arrive and be dropped.
 */
export async function askUpTo<T>(tries: number, ask: () => Promise<T>, between?: () => Promise<void>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await ask();
    } catch (err) {
      if (attempt >= tries) throw err;
      await between?.();
    }
  }
}
