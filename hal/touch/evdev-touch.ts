/**
 * Single-touch input from an evdev touchscreen: BTN_TOUCH (or BTN_LEFT, as tablet-style panels send) for down/up,
 * ABS_X/ABS_Y or ABS_MT_POSITION_X/Y for the position, EV_SYN to end a report. Raw values are mapped through the
 * configured calibration (min/max per axis; a min above max flips the axis) and rotation to screen pixels.
 */
import { EventEmitter } from 'node:events';
import { EV_ABS, EV_KEY, EV_SYN, InputEventReader, SYN_REPORT, type InputEvent, type RecordSize } from './input-event.ts';

const ABS_X = 0x00;
const ABS_Y = 0x01;
const ABS_MT_POSITION_X = 0x35;
const ABS_MT_POSITION_Y = 0x36;
const BTN_TOUCH = 0x14a;
/** What tablet-style panels (QEMU's virtio-tablet, some USB touch panels) press with instead of BTN_TOUCH. */
const BTN_LEFT = 0x110;

export interface TouchCalibration {
  minX: number;
  maxX: number;
  minY: number;
  maxY: number;
}

/** Clockwise degrees that turn the panel's axes into the screen's. */
export type Rotation = 0 | 90 | 180 | 270;

export interface TouchMapping {
  /** Screen size in pixels, as drawn (after rotation). */
  width: number;
  height: number;
  calibration: TouchCalibration;
  rotation?: Rotation;
}

export interface TouchPoint {
  kind: 'down' | 'up';
  x: number;
  y: number;
}

const clamp01 = (v: number): number => Math.min(1, Math.max(0, v));

export function mapTouch(rawX: number, rawY: number, m: TouchMapping): { x: number; y: number } {
  const { minX, maxX, minY, maxY } = m.calibration;
  const nx = clamp01((rawX - minX) / (maxX - minX));
  const ny = clamp01((rawY - minY) / (maxY - minY));
  const [sx, sy] = ({ 0: [nx, ny], 90: [1 - ny, nx], 180: [1 - nx, 1 - ny], 270: [ny, 1 - nx] } as const)[m.rotation ?? 0];
  return { x: Math.round(sx * (m.width - 1)), y: Math.round(sy * (m.height - 1)) };
}

/** Screen fractions back to panel fractions: the inverse of each rotation in mapTouch. */
const unrotate = {
  0: (sx: number, sy: number) => [sx, sy],
  90: (sx: number, sy: number) => [sy, 1 - sx],
  180: (sx: number, sy: number) => [1 - sx, 1 - sy],
  270: (sx: number, sy: number) => [1 - sy, sx],
} as const;

/** Least squares of raw = a + b * t over the pairs: the raw values at t = 0 and t = 1. */
function fitAxis(pairs: ReadonlyArray<readonly [t: number, raw: number]>): [number, number] {
  const mean = (f: (p: readonly [number, number]) => number) => pairs.reduce((s, p) => s + f(p), 0) / pairs.length;
  const mt = mean(([t]) => t);
  const mr = mean(([, r]) => r);
  const b = mean(([t, r]) => (t - mt) * (r - mr)) / mean(([t]) => (t - mt) ** 2);
  return [mr - b * mt, mr - b * mt + b];
}

/**
 * A calibration from touches at known screen targets, as the mapping `m` reported them: each touch is taken back to
 * the panel's raw values, and each axis is fitted (least squares) to where its targets are. `worstErrorPx` is how far
 * the farthest touch lands from its target under the new calibration: large means the touches disagree (a slip),
 * not that the panel is off. Touches clamped at the screen's edge by a far-off calibration cannot be taken back.
 */
export function calibrateTouch(
  points: ReadonlyArray<{ screen: { x: number; y: number }; target: { x: number; y: number } }>,
  m: TouchMapping,
): { calibration: TouchCalibration; worstErrorPx: number } {
  const frac = (p: { x: number; y: number }) => unrotate[m.rotation ?? 0](p.x / (m.width - 1), p.y / (m.height - 1));
  const { minX, maxX, minY, maxY } = m.calibration;
  const rows = points.map((p) => {
    const [nx, ny] = frac(p.screen);
    return { rawX: minX + nx! * (maxX - minX), rawY: minY + ny! * (maxY - minY), target: p.target, t: frac(p.target) };
  });
  const [newMinX, newMaxX] = fitAxis(rows.map((r) => [r.t[0]!, r.rawX] as const));
  const [newMinY, newMaxY] = fitAxis(rows.map((r) => [r.t[1]!, r.rawY] as const));
  const calibration = { minX: Math.round(newMinX), maxX: Math.round(newMaxX), minY: Math.round(newMinY), maxY: Math.round(newMaxY) };
  const worstErrorPx = Math.max(...rows.map((r) => {
    const at = mapTouch(r.rawX, r.rawY, { ...m, calibration });
    return Math.hypot(at.x - r.target.x, at.y - r.target.y);
  }));
  return { calibration, worstErrorPx };
}

/** Turns input events into touch points; one point per EV_SYN report that pressed or released. */
export class TouchDecoder {
  private rawX = 0;
  private rawY = 0;
  private change: 'down' | 'up' | null = null;

  constructor(private readonly mapping: TouchMapping) {}

  feed(ev: InputEvent): TouchPoint | null {
    if (ev.type === EV_ABS && (ev.code === ABS_X || ev.code === ABS_MT_POSITION_X)) this.rawX = ev.value;
    else if (ev.type === EV_ABS && (ev.code === ABS_Y || ev.code === ABS_MT_POSITION_Y)) this.rawY = ev.value;
    else if (ev.type === EV_KEY && (ev.code === BTN_TOUCH || ev.code === BTN_LEFT)) this.change = ev.value ? 'down' : 'up';
    else if (ev.type === EV_SYN && ev.code === SYN_REPORT && this.change) {
      const kind = this.change;
      this.change = null;
      return { kind, ...mapTouch(this.rawX, this.rawY, this.mapping) };
    }
    return null;
  }
}

export interface EvdevTouchOptions extends TouchMapping {
  /** e.g. /dev/input/event0 */
  device: string;
  recordSize?: RecordSize | 'auto';
}

export interface EvdevTouchEvents {
  /** Wire 'down' to ScreenHost.touch: a press reacts at once, which people in a queue expect. */
  down: [x: number, y: number];
  up: [x: number, y: number];
  error: [error: Error];
  end: [];
}

export class EvdevTouch extends EventEmitter<EvdevTouchEvents> {
  private readonly reader: InputEventReader;
  private readonly decoder: TouchDecoder;
  /** How raw panel values become screen pixels here (calibrateTouch takes touches back through it). */
  readonly mapping: TouchMapping;

  constructor(options: EvdevTouchOptions) {
    super();
    this.mapping = { width: options.width, height: options.height, calibration: options.calibration, ...(options.rotation !== undefined ? { rotation: options.rotation } : {}) };
    this.reader = new InputEventReader(options.device, options.recordSize ?? 'auto');
    this.decoder = new TouchDecoder(options);
    this.reader.on('event', (ev) => {
      const p = this.decoder.feed(ev);
      if (p) this.emit(p.kind, p.x, p.y);
    });
    this.reader.on('error', (err) => this.emit('error', err));
    this.reader.on('end', () => this.emit('end'));
  }

  start(): void {
    this.reader.start();
  }

  close(): void {
    this.reader.close();
  }
}
