/**
 * The one place a kiosk is built: its config entry and board profile become devices, the kiosk controller and, where
 * there is a screen, the screens and the touch panel. `quancun kiosk` on a board, the embedded default, the chaos
 * harness's kiosk processes and the tests all build their kiosks here; nothing else wires a kiosk together.
 * Parts start in one declared order and stop in reverse: the kiosk (status, journal, devices, link), then the screens.
 */
import { readFileSync } from 'node:fs';
import { QuancunError } from '../common/errors.ts';
import { LogRing, type Logger } from '../common/log.ts';
import type { CardReader } from '../hal/card-reader/card-reader.ts';
import type { Display } from '../hal/display/display.ts';
import { Kiosk } from '../runtime/kiosk.ts';
import { KioskUi } from '../runtime/ui/kiosk-ui.ts';
import { ScreenHost } from '../screens/screen-host.ts';
import { padMemoryPath } from '../sim/pin-pad/pad-memory.ts';
import { createDevices, type Devices } from './devices.ts';
import { loadKioskConfig, parseKioskConfig, type KioskConfig, type KioskConfigInput } from './kiosk-config.ts';

export interface AssembleOptions {
  log: Logger;
  version: string;
  /** The simulated field when its cards are held by another process (the chaos harness, over IPC). */
  simReader?: CardReader;
  inspectorSink?: (line: string) => void;
  /** The file the config came from: its relative paths (`mqtt.tls`) are taken from its folder, and the
   * refresh-announcements command reads its announcements again. */
  configPath?: string;
  /** Ends the process after a restart command stopped the kiosk; default process.exit (systemd starts it again). */
  exit?: (code: number) => void;
}

export interface KioskScreens {
  ui: KioskUi;
  screen: ScreenHost;
}

export interface AssembledKiosk {
  config: KioskConfig;
  kiosk: Kiosk;
  devices: Devices;
  /** The screens on the board's own display, once started; see `attachScreens` for another display. */
  screens: KioskScreens | undefined;
  start(): Promise<void>;
  /** Draws this kiosk's screens on `display` (the live view's, a test's) and starts them; stopped with the kiosk. */
  attachScreens(display: Display, o?: { inactivitySeconds?: number }): Promise<KioskScreens>;
  stop(): Promise<void>;
}

export async function assembleKiosk(input: KioskConfigInput, o: AssembleOptions): Promise<AssembledKiosk> {
  const { config, dataDir, tls } = parseKioskConfig(input, o.configPath);
  const { id, terminalId } = config.kiosk;
  // Everything the kiosk and its screens log is also kept in memory for the diagnostics command.
  const logRing = new LogRing();
  const log = o.log.recording(logRing).child({ part: 'kiosk' });
  const devices = await createDevices(config.board, {
    simPadMemory: padMemoryPath(dataDir, id),
    screenSize: { width: config.screens.width, height: config.screens.height },
    ...(o.simReader ? { simReader: o.simReader } : {}),
    ...(o.inspectorSink ? { inspectorSink: o.inspectorSink } : {}),
  });
  const kiosk = new Kiosk({
    id, terminalId: terminalId.toUpperCase(), mqttUrl: config.mqtt.url, ...(tls ? { mqttTls: tls } : {}), dataDir, version: o.version, log,
    reader: devices.reader, pinPad: devices.pinPad, io: devices.io, startFaults: devices.faults,
    requestTimeoutMs: config.mqtt.requestTimeoutMs, timeZone: config.campus.timeZone,
    telemetryIntervalSeconds: config.telemetry.intervalSeconds, logRing,
    ...(devices.printer ? { printer: devices.printer } : {}),
    ...(devices.thermometer ? { thermometer: devices.thermometer } : {}),
    // Signers of remote commands chain to the campus CA: commands.trustedCa, else the broker's CA (mqtt.tls.ca).
    ...(config.commands ? { commandCa: { pem: readCa(config.commands.trustedCa), source: config.commands.trustedCa } }
      : tls ? { commandCa: { pem: tls.ca.toString('utf8'), source: 'mqtt.tls.ca' } } : {}),
    ...(o.exit ? { exit: o.exit } : {}),
    ...(o.configPath ? { reloadAnnouncements: () => reloadAnnouncements(o.configPath!) } : {}),
  });

  const attached: KioskScreens[] = [];
  const reloadAnnouncements = async (path: string): Promise<number> => {
    const announcements = loadKioskConfig(path).config.announcements ?? [];
    for (const { ui } of attached) ui.setAnnouncements(announcements);
    return announcements.length;
  };
  const attachScreens = async (display: Display, so: { inactivitySeconds?: number } = {}): Promise<KioskScreens> => {
    const screen = new ScreenHost({ display, width: display.width, height: display.height });
    const ui = new KioskUi({
      kiosk, screen, kioskId: id, log, campusName: { zh: config.campus.name, en: config.campus.nameEn },
      inactivitySeconds: so.inactivitySeconds ?? config.screens.inactivitySeconds,
      ...(devices.printer ? { printer: devices.printer } : {}),
      ...(config.announcements ? { announcements: config.announcements } : {}),
      ...(config.technician ? { technicianPinHash: config.technician.pinHash } : {}),
    });
    await ui.start();
    attached.push({ ui, screen });
    return { ui, screen };
  };

  let screens: KioskScreens | undefined;
  return {
    config, kiosk, devices,
    get screens() {
      return screens;
    },
    attachScreens,
    async start() {
      await kiosk.start();
      const { display, touch } = devices;
      if (!display) return;
      screens = await attachScreens(display);
      if (touch) {
        const own = screens.screen;
        touch.on('down', (x, y) => own.touch(x, y));
        touch.on('error', (err) => kiosk.status.fault('touch', err));
        touch.start();
      }
    },
    async stop() {
      devices.touch?.close();
      for (const s of attached.splice(0).reverse()) await s.ui.stop();
      await kiosk.stop();
      await devices.display?.close();
    },
  };
}

/** The campus CA file commands.trustedCa names; CONFIG_INVALID naming it when it cannot be read. */
function readCa(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new QuancunError('CONFIG_INVALID', `commands.trustedCa: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { path });
  }
}
