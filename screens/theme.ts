/**
 * The one theme. Sizes scale with the short side of the configured resolution (800x480 is unit 1), so touch
 * targets stay large on every panel.
 */
import type { Orientation } from './view-model.ts';

/** The family name the configured font file is registered under. */
export const FONT_FAMILY = 'QuancunUI';

export const COLORS = {
  background: '#f3f5f8',
  surface: '#ffffff',
  header: '#0b4f8a',
  headerText: '#ffffff',
  text: '#1c2430',
  muted: '#5b6675',
  primary: '#0b6ec5',
  primaryText: '#ffffff',
  secondary: '#e3e8ef',
  secondaryText: '#1c2430',
  danger: '#c62828',
  dangerText: '#ffffff',
  ok: '#2e7d32',
  warn: '#ef8f00',
  error: '#c62828',
  info: '#0b6ec5',
  border: '#c6ceda',
  pinDot: '#1c2430',
} as const;

export interface Metrics {
  width: number;
  height: number;
  orientation: Orientation;
  /** 1 at 800x480 landscape. */
  unit: number;
  gap: number;
  headerH: number;
  footerH: number;
  /** Smallest side of any touch target. */
  touchMin: number;
  font: { small: number; body: number; title: number; big: number; huge: number };
  /** Text never shrinks below this to fit its box; beyond it, it wraps or is cut (and the cut is recorded). */
  minFont: number;
}

export function metrics(width: number, height: number, orientation: Orientation): Metrics {
  const unit = Math.min(width / (orientation === 'portrait' ? 480 : 800), height / (orientation === 'portrait' ? 800 : 480));
  const u = (n: number): number => Math.round(n * unit);
  return {
    width,
    height,
    orientation,
    unit,
    gap: u(10),
    headerH: u(56),
    footerH: u(56),
    touchMin: u(44),
    font: { small: u(16), body: u(20), title: u(26), big: u(34), huge: u(48) },
    minFont: Math.max(12, u(13)),
  };
}
