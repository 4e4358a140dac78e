/**
 * The inactivity deadline of a session screen. Kept as a deadline rather than a counter, so a late timer tick never
 * stretches the time a cardholder's session stays open.
 */
export class Inactivity {
  #deadline: number | null = null;

  constructor(private readonly seconds: number) {}

  restart(now = Date.now()): void {
    this.#deadline = now + this.seconds * 1000;
  }

  stop(): void {
    this.#deadline = null;
  }

  /** Whole seconds left (0 once expired); undefined when no session screen is waiting. */
  secondsLeft(now = Date.now()): number | undefined {
    return this.#deadline === null ? undefined : Math.max(0, Math.ceil((this.#deadline - now) / 1000));
  }
}
