/**
 * Driving the kiosk's screens as a cardholder would: wait for a view the UI controller has drawn, and touch a widget
 * at the middle of its rectangle as the current widget tree places it (no pixel positions written into tests).
 */
import type { ExecutionContext } from 'ava';
import { PngSnapshotDisplay } from '../../hal/display/png-snapshot.ts';
import type { KioskUi } from '../../runtime/ui/kiosk-ui.ts';
import type { RenderReport } from '../../screens/screen-host.ts';
import type { KioskView, UiAction } from '../../screens/view-model.ts';
import { walk, type Widget } from '../../screens/widgets.ts';
import { startKioskScreens, type KioskScreens } from '../../sim/live-simulator.ts';
import type { TestSystem } from './kiosk-system.ts';

/** Long enough for any flow of the embedded system, short enough to fail with the last screen before ava's timeout. */
const VIEW_WAIT_MS = 30_000;

export interface Drawn {
  view: KioskView;
  report: RenderReport;
}

/** The screens of the test system's kiosk K001 on an in-memory display, stopped at teardown. */
export async function startTestScreens(t: ExecutionContext, system: TestSystem, o: { inactivitySeconds?: number; width?: number; height?: number } = {}): Promise<KioskScreens> {
  const display = new PngSnapshotDisplay({ width: o.width ?? 1024, height: o.height ?? 600 });
  const screens = await startKioskScreens({ system, kioskId: 'K001', display, ...o });
  t.teardown(() => screens.ui.stop());
  return screens;
}

/** Resolves with the first drawn view (the current one included) that `match` accepts. */
export function waitForView(ui: KioskUi, match: (view: KioskView) => boolean, what = 'the expected view'): Promise<Drawn> {
  const current = ui.drawn;
  if (current && match(current.view)) return Promise.resolve(current);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      ui.off('render', onRender);
      reject(new Error(`no ${what} drawn within ${VIEW_WAIT_MS} ms; the screen is ${ui.drawn?.view.screen}`));
    }, VIEW_WAIT_MS);
    const onRender = (view: KioskView, report: RenderReport) => {
      if (!match(view)) return;
      clearTimeout(timer);
      ui.off('render', onRender);
      resolve({ view, report });
    };
    ui.on('render', onRender);
  });
}

export const waitForScreen = (ui: KioskUi, screen: KioskView['screen']): Promise<Drawn> => waitForView(ui, (v) => v.screen === screen, `${screen} screen`);

/** The middle of the enabled button `id` in the widget tree on screen. */
export function widgetCenter(widgets: readonly Widget[], id: string): { x: number; y: number } {
  for (const w of walk(widgets)) {
    if (w.id !== id) continue;
    if (w.kind === 'button' && w.disabled) throw new Error(`button ${id} is disabled`);
    return { x: Math.round(w.rect.x + w.rect.w / 2), y: Math.round(w.rect.y + w.rect.h / 2) };
  }
  throw new Error(`no widget ${id} on screen; ids: ${[...walk(widgets)].map((w) => w.id).join(' ')}`);
}

/** Touches the screen where the widget is, as a finger would; returns the action the screen reported. */
export function touch(screens: KioskScreens, id: string): UiAction {
  const { x, y } = widgetCenter(screens.ui.drawn?.report.widgets ?? [], id);
  const action = screens.screen.touch(x, y);
  if (!action) throw new Error(`touching ${id} at ${x},${y} did nothing`);
  return action;
}

/** All texts drawn in a report, for asserting what the cardholder reads. */
export const drawnTexts = (report: RenderReport): string[] => report.texts.map((r) => r.text);

/** From idle to the amount screen by touches, with the card tapped on the simulated reader of K001. */
export async function touchToAmount(screens: KioskScreens, system: TestSystem, asn: string): Promise<void> {
  const { ui } = screens;
  await waitForScreen(ui, 'idle');
  system.kiosks.get('K001')!.reader!.insert(system.cards.get(asn)!);
  await waitForScreen(ui, 'card');
  touch(screens, 'card.continue');
  await waitForScreen(ui, 'menu');
  touch(screens, 'menu.load');
  await waitForScreen(ui, 'amount');
}
