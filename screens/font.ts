/** The UI font comes from a file named in config, so a board needs no system fonts or fontconfig. */
import { GlobalFonts } from '@napi-rs/canvas';
import { QuancunError } from '../common/errors.ts';
import { FONT_FAMILY } from './theme.ts';

/** Debian fonts-wqy-microhei; any CJK TTF/OTF/TTC works. */
export const DEFAULT_FONT_PATH = '/usr/share/fonts/truetype/wqy/wqy-microhei.ttc';

const registered = new Set<string>();

export function registerUiFont(path: string = DEFAULT_FONT_PATH): void {
  if (registered.has(path)) return;
  if (!GlobalFonts.registerFromPath(path, FONT_FAMILY)) {
    throw new QuancunError('CONFIG_INVALID', `cannot load the UI font ${path}`, { path });
  }
  registered.add(path);
}
