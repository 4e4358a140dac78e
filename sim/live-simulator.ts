/**
 * One kiosk of a running embedded system, with its screens drawn into the live view: the same ScreenHost and UI
 * controller a board runs, a LiveDisplay instead of the framebuffer, and the embedded system's device handles on the
 * page's side panel. `quancun run` and the end-to-end tests start it the same way.
 */
import { QuancunError } from '../common/errors.ts';
import type { Display } from '../hal/display/display.ts';
import type { KioskUi } from '../runtime/ui/kiosk-ui.ts';
import { LiveDisplay } from '../screens/live-view/live-display.ts';
import { startLiveView } from '../screens/live-view/server.ts';
import type { ScreenHost } from '../screens/screen-host.ts';
import { EmbeddedPanel } from './embedded-panel.ts';
import type { EmbeddedSystem } from './embedded-system.ts';

export interface KioskScreensOptions {
  system: EmbeddedSystem;
  /** Default: the first kiosk of the system. */
  kioskId?: string;
  display: Display;
  inactivitySeconds?: number;
}

export interface KioskScreens {
  kioskId: string;
  ui: KioskUi;
  screen: ScreenHost;
}

/** The screens of one kiosk drawing on `display`, started (board/kiosk-assembly.ts wires them); stop with `ui.stop()`. */
export async function startKioskScreens(o: KioskScreensOptions): Promise<KioskScreens> {
  const kioskId = o.kioskId ?? o.system.kiosks.keys().next().value;
  const sim = kioskId === undefined ? undefined : o.system.kiosks.get(kioskId);
  if (!kioskId || !sim) throw new QuancunError('CONFIG_INVALID', `no kiosk ${kioskId ?? ''} in the embedded system`);
  const screens = await sim.assembled.attachScreens(o.display, o.inactivitySeconds ? { inactivitySeconds: o.inactivitySeconds } : {});
  return { kioskId, ...screens };
}

export interface LiveSimulatorOptions extends Omit<KioskScreensOptions, 'display'> {
  /** Default 1024x600, the common 7-inch kiosk panel. */
  width?: number;
  height?: number;
  /** Loopback only; default 127.0.0.1. */
  host?: string;
  /** Default 8080; 0 picks a free port. */
  port?: number;
}

export interface LiveSimulator extends KioskScreens {
  url: string;
  panel: EmbeddedPanel;
  stop(): Promise<void>;
}

export async function startLiveSimulator(o: LiveSimulatorOptions): Promise<LiveSimulator> {
  const display = new LiveDisplay({ width: o.width ?? 1024, height: o.height ?? 600 });
  const screens = await startKioskScreens({ ...o, display });
  try {
    const panel = new EmbeddedPanel(o.system, screens.kioskId);
    const live = await startLiveView({ display, screen: screens.screen, panel, ...(o.host ? { host: o.host } : {}), port: o.port ?? 8080 });
    return {
      ...screens, url: live.url, panel,
      async stop() {
        await live.close();
        await screens.ui.stop();
        await display.close();
      },
    };
  } catch (err) {
    await screens.ui.stop();
    throw err;
  }
}
