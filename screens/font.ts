/** The UI font comes from a file named in config, so a board needs no system fonts or fontconfig. */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { GlobalFonts } from '@napi-rs/canvas';
import { QuancunError } from '../common/errors.ts';
import { FONT_FAMILY } from './theme.ts';

/** Debian fonts-wqy-microhei; any CJK TTF/OTF/TTC works. */
export const DEFAULT_FONT_PATH = '/usr/share/fonts/truetype/wqy/wqy-microhei.ttc';

/**
 * Where no font is configured and the Debian one is absent (a laptop with no system packages), Noto Sans SC from
 * the npm devDependency @expo-google-fonts/noto-sans-sc; a board installs fonts-wqy-microhei and omits dev packages.
 */
function defaultFontPath(): string {
  if (existsSync(DEFAULT_FONT_PATH)) return DEFAULT_FONT_PATH;
  try {
    return createRequire(import.meta.url).resolve('@expo-google-fonts/noto-sans-sc/400Regular/NotoSansSC_400Regular.ttf');
  } catch {
    return DEFAULT_FONT_PATH;
  }
}

const registered = new Set<string>();

export function registerUiFont(path: string = defaultFontPath()): void {
  if (registered.has(path)) return;
  if (!GlobalFonts.registerFromPath(path, FONT_FAMILY)) {
    throw new QuancunError('CONFIG_INVALID', `cannot load the UI font ${path}: install fonts-wqy-microhei or name a CJK font file in the config`, { path });
  }
  registered.add(path);
}
