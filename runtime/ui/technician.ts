/**
 * The technician's way into the maintenance screen: a PIN typed on the screen keypad (it guards the maintenance
 * screen, never money), checked against a salted scrypt hash from the config, with a lockout after repeated failures
 * so the kiosk id in the footer is no invitation to guess.
 */
import type { KeypadKey } from '../../screens/view-model.ts';
import { secretMatches } from '../../common/crypto/secret-hash.ts';

export const TECHNICIAN_PIN_DIGITS = 6;
const MAX_TRIES = 5;
const LOCKOUT_MS = 10 * 60_000;

export type GateAnswer = 'typing' | 'granted' | 'denied' | 'locked';

export class TechnicianGate {
  #typed = '';
  #triesLeft = MAX_TRIES;
  #lockedUntil = 0;

  constructor(
    private readonly pinHash: string | undefined,
    private readonly now: () => number = Date.now,
  ) {}

  /** False when no technician PIN is configured, or during a lockout. */
  get open(): boolean {
    return this.pinHash !== undefined && this.now() >= this.#lockedUntil;
  }

  get digits(): number {
    return this.#typed.length;
  }

  /** Shown after a wrong PIN; undefined before any. */
  get attemptsLeft(): number | undefined {
    return this.#triesLeft < MAX_TRIES ? this.#triesLeft : undefined;
  }

  /** Forgets what was typed (leaving the PIN screen); failures keep counting. */
  clear(): void {
    this.#typed = '';
  }

  key(key: KeypadKey): GateAnswer {
    if (!this.open) return 'locked';
    if (key === 'del') this.#typed = this.#typed.slice(0, -1);
    else if (key !== 'ok' && this.#typed.length < TECHNICIAN_PIN_DIGITS) this.#typed += key;
    if (key !== 'ok' && this.#typed.length < TECHNICIAN_PIN_DIGITS) return 'typing';
    const typed = this.#typed;
    this.#typed = '';
    if (secretMatches(typed, this.pinHash!)) {
      this.#triesLeft = MAX_TRIES;
      return 'granted';
    }
    this.#triesLeft -= 1;
    if (this.#triesLeft > 0) return 'denied';
    this.#triesLeft = MAX_TRIES;
    this.#lockedUntil = this.now() + LOCKOUT_MS;
    return 'locked';
  }
}
