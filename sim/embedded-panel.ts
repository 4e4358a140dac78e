/**
 * The live view's side panel on the embedded default: what a person standing at the kiosk could do to its simulated
 * hardware. Every control goes through a device-side handle (the reader, the printer, the network cable, the PIN
 * pad's keys), never around the runtime, so the screens react exactly as they would on a board.
 */
import { once } from 'node:events';
import { QuancunError } from '../common/errors.ts';
import { SIM_PRINTER_COLUMNS } from './printer/sim-printer.ts';
import { maskName } from '../runtime/flows/card-session.ts';
import { maskedCardNo } from '../runtime/ui/ui-view.ts';
import type { SimulatorCard, SimulatorPanel, SimulatorReceipt, SimulatorStatus } from '../screens/live-view/simulator-panel.ts';
import { yuan } from '../screens/strings.ts';
import type { EmbeddedSystem, SimKiosk } from './embedded-system.ts';
import { receiptText, renderReceiptPng } from './printer/render.ts';

/** How long a PIN typed on the panel waits for the pad to light up for entry (the screen asks a moment before it does). */
const ENTRY_WAIT_MS = 10_000;

export class EmbeddedPanel implements SimulatorPanel {
  readonly #system: EmbeddedSystem;
  readonly #kiosk: SimKiosk;
  /** The card the panel put on the reader, until the reader says it left. */
  #onReader: string | null = null;

  constructor(system: EmbeddedSystem, kioskId: string) {
    const kiosk = system.kiosks.get(kioskId);
    if (!kiosk) throw new QuancunError('CONFIG_INVALID', `no kiosk ${kioskId} in the embedded system`);
    this.#system = system;
    this.#kiosk = kiosk;
    kiosk.kiosk.reader.on('absent', () => (this.#onReader = null));
  }

  cards(): SimulatorCard[] {
    return [...this.#system.cards].map(([asn, card]) => {
      const { holder, balance } = card.state();
      return { id: asn, label: `${maskName(holder.name)} ${maskedCardNo(asn)} (${yuan(balance)})`, present: this.#onReader === asn };
    });
  }

  tapCard(id: string): void {
    const card = this.#system.cards.get(id);
    if (!card) throw new QuancunError('CARD_UNKNOWN', `no virtual card ${id}`);
    this.#reader().insert(card);
    this.#onReader = id;
  }

  removeCard(): void {
    this.#reader().remove();
  }

  status(): SimulatorStatus {
    const { printer, network, kiosk } = this.#kiosk;
    return { paperOut: printer.device.paper === 'out', networkUp: network ? network.plugged : kiosk.link.online };
  }

  async setPaperOut(on: boolean): Promise<void> {
    const { device, printer } = this.#kiosk.printer;
    device.setPaper(on ? 'out' : 'ok');
    // Ask now rather than at the driver's next poll, so the receipt screen changes while the person watches.
    await printer.refreshStatus().catch(() => {});
  }

  setNetwork(up: boolean): void {
    const { network } = this.#kiosk;
    if (!network) throw new QuancunError('DEVICE_UNAVAILABLE', 'this kiosk has no simulated network cable (the broker is not mqtt://)');
    if (up) network.replug();
    else network.unplug();
  }

  lastReceipt(): SimulatorReceipt | null {
    const receipt = this.#kiosk.printer.device.receipts.at(-1);
    if (!receipt) return null;
    const text = receiptText(receipt, SIM_PRINTER_COLUMNS);
    try {
      return { text, png: renderReceiptPng(receipt, { columns: SIM_PRINTER_COLUMNS }) };
    } catch {
      // The picture needs the receipt font (fonts-wqy-microhei); without it the panel still shows what was printed.
      return { text };
    }
  }

  /** Types the digits and ENTER on the pad's keys; keys pressed before the pad starts an entry would go nowhere. */
  async typePin(digits: string): Promise<void> {
    const { keypad } = this.#kiosk;
    if (!keypad.entryActive) {
      await once(keypad, 'entry', { signal: AbortSignal.timeout(ENTRY_WAIT_MS) }).catch(() => {
        throw new QuancunError('TXN_STATE', 'the PIN pad is not asking for a PIN');
      });
    }
    keypad.type(digits);
    keypad.enter();
  }

  #reader() {
    const { reader } = this.#kiosk;
    if (!reader) throw new QuancunError('DEVICE_UNAVAILABLE', 'this kiosk reads a PC/SC reader: present a card to it instead');
    return reader;
  }
}
