/**
 * A QR code's modules, for the pictures that show one: the receipt preview (sim/printer/render.ts) and the kiosk's
 * on-screen e-receipt (screens/paint.ts). Level M, as the receipt printer is told to print (hal/printer/escpos.ts), so
 * the preview is the symbol the paper carries.
 */
import QRCode from 'qrcode';

/** Dark modules as `rows[y][x]`, without the quiet zone (the caller leaves four modules of margin round it). */
export function qrModules(payload: string): boolean[][] {
  const { modules } = QRCode.create(payload, { errorCorrectionLevel: 'M' });
  return Array.from({ length: modules.size }, (_, y) => Array.from({ length: modules.size }, (_, x) => Boolean(modules.get(y, x))));
}

/** The QR standard's quiet zone, in modules, on each side. */
export const QR_QUIET_ZONE = 4;
