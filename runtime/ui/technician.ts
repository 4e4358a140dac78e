/**
 * The technician's way into the maintenance screen: a PIN typed on the screen keypad (it guards the maintenance
 * screen, never money), checked against a salted scrypt hash from the config, with a lockout after repeated failures
 * so the kiosk id in the footer is no invitation to guess.
 */
import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import type { KeypadKey } from '../../screens/view-model.ts';

export const TECHNICIAN_PIN_DIGITS = 6;
const MAX_TRIES = 5;
const LOCKOUT_MS = 10 * 60_000;
const HASH = /^scrypt\$([0-9a-f]{32})\$([0-9a-f]{64})$/;

/** `scrypt$<salt hex>$<hash hex>`, as the config's `technician.pinHash` holds it (`quancun technician-pin` prints one). */
export function hashTechnicianPin(pin: string, salt: Buffer = randomBytes(16)): string {
  return `scrypt$${salt.toString('hex')}$${scryptSync(pin, salt, 32).toString('hex')}`;
}

export function technicianPinMatches(pin: string, stored: string): boolean {
  const m = HASH.exec(stored);
  if (!m) return false;
  return timingSafeEqual(scryptSync(pin, Buffer.from(m[1]!, 'hex'), 32), Buffer.from(m[2]!, 'hex'));
}

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
    if (technicianPinMatches(typed, this.pinHash!)) {
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
