/**
 * Paints a widget tree onto a canvas and records, for every piece of text, the box it was given and the ink it
 * actually covers as measured by the canvas: the layout tests assert on those records.
 */
import { Image, type SKRSContext2D } from '@napi-rs/canvas';
import { QR_QUIET_ZONE, qrModules } from '../common/qr.ts';
import type { Rect } from './layout.ts';
import { inset } from './layout.ts';
import { COLORS, type Metrics } from './theme.ts';
import { fitText } from './text-fit.ts';
import type { TextStyle, Tone, Widget } from './widgets.ts';

export interface TextRecord {
  id: string;
  text: string;
  box: Rect;
  /** Union of the measured ink rectangles of the drawn lines. */
  ink: Rect;
  size: number;
  truncated: boolean;
}

const TONE: Record<Tone, string> = { info: COLORS.info, ok: COLORS.ok, warn: COLORS.warn, error: COLORS.error };

const images = new WeakMap<Uint8Array, Image>();

function decoded(png: Uint8Array): Image {
  let img = images.get(png);
  if (!img) {
    img = new Image();
    img.src = Buffer.from(png.buffer, png.byteOffset, png.byteLength);
    images.set(png, img);
  }
  return img;
}

function roundRect(ctx: SKRSContext2D, r: Rect, radius: number, fill?: string, stroke?: string): void {
  ctx.beginPath();
  ctx.roundRect(r.x, r.y, r.w, r.h, radius);
  if (fill) {
    ctx.fillStyle = fill;
    ctx.fill();
  }
  if (stroke) {
    ctx.strokeStyle = stroke;
    ctx.lineWidth = 1;
    ctx.stroke();
  }
}

export class Painter {
  readonly texts: TextRecord[] = [];

  constructor(private readonly ctx: SKRSContext2D, private readonly m: Metrics) {}

  paint(widgets: readonly Widget[]): void {
    for (const w of widgets) this.widget(w);
  }

  private widget(w: Widget): void {
    const { ctx, m } = this;
    const radius = Math.round(8 * m.unit);
    switch (w.kind) {
      case 'panel':
        if (w.fill || w.border) roundRect(ctx, w.rect, w.radius ?? 0, w.fill, w.border);
        this.paint(w.children);
        return;
      case 'label':
        this.text(w.id, w.text, w.rect, w.style);
        return;
      case 'button': {
        const variant = w.disabled ? 'secondary' : w.variant;
        roundRect(ctx, w.rect, radius, COLORS[variant], variant === 'secondary' ? COLORS.border : undefined);
        const color = w.disabled ? COLORS.muted : COLORS[`${variant}Text`];
        this.text(w.id, w.text, inset(w.rect, Math.round(8 * m.unit), Math.round(4 * m.unit)), { ...w.style, color });
        return;
      }
      case 'pin-field':
        this.pinField(w.rect, w.digits, w.maxDigits);
        return;
      case 'qr':
        this.qr(w.rect, w.payload);
        return;
      case 'image': {
        const img = decoded(w.png);
        const scale = Math.min(w.rect.w / img.width, w.rect.h / img.height);
        const iw = img.width * scale;
        const ih = img.height * scale;
        ctx.drawImage(img, w.rect.x + (w.rect.w - iw) / 2, w.rect.y + (w.rect.h - ih) / 2, iw, ih);
        return;
      }
      case 'progress':
        this.progress(w.rect, w.value);
        return;
      case 'countdown': {
        const r = Math.min(w.rect.w, w.rect.h) / 2;
        const cx = w.rect.x + w.rect.w / 2;
        const cy = w.rect.y + w.rect.h / 2;
        ctx.beginPath();
        ctx.arc(cx, cy, r - 2, 0, Math.PI * 2);
        ctx.fillStyle = TONE[w.tone];
        ctx.fill();
        const side = Math.floor((r - 2) * Math.SQRT2);
        const box = { x: Math.round(cx - side / 2), y: Math.round(cy - side / 2), w: side, h: side };
        this.text(w.id, String(w.seconds), box, { size: Math.round(r), color: '#ffffff', align: 'center', bold: true });
        return;
      }
    }
  }

  text(id: string, text: string, box: Rect, style: TextStyle): void {
    const { ctx } = this;
    const fit = fitText(ctx, text, box, style.size, Math.min(style.size, this.m.minFont), style);
    ctx.fillStyle = style.color ?? COLORS.text;
    ctx.textBaseline = 'alphabetic';
    ctx.textAlign = 'left';
    const top = box.y + (box.h - fit.lines.length * fit.lineHeight) / 2;
    let ink: Rect | null = null;
    fit.lines.forEach((line, i) => {
      const tm = ctx.measureText(line);
      const align = style.align ?? 'left';
      const x = align === 'left' ? box.x : align === 'right' ? box.x + box.w - tm.width : box.x + (box.w - tm.width) / 2;
      const baseline = top + i * fit.lineHeight + fit.ascent;
      ctx.fillText(line, x, baseline);
      if (line.trim() === '') return;
      const r = {
        x: x - tm.actualBoundingBoxLeft,
        y: baseline - tm.actualBoundingBoxAscent,
        w: tm.actualBoundingBoxLeft + tm.actualBoundingBoxRight,
        h: tm.actualBoundingBoxAscent + tm.actualBoundingBoxDescent,
      };
      ink = ink ? union(ink, r) : r;
    });
    this.texts.push({ id, text, box, ink: ink ?? { x: box.x, y: box.y, w: 0, h: 0 }, size: fit.size, truncated: fit.truncated });
  }

  private pinField(rect: Rect, digits: number, maxDigits: number): void {
    const { ctx } = this;
    roundRect(ctx, rect, Math.round(8 * this.m.unit), COLORS.surface, COLORS.border);
    const cell = rect.w / maxDigits;
    const r = Math.min(cell * 0.3, rect.h * 0.22);
    for (let i = 0; i < maxDigits; i++) {
      ctx.beginPath();
      ctx.arc(rect.x + cell * (i + 0.5), rect.y + rect.h / 2, r, 0, Math.PI * 2);
      if (i < digits) {
        ctx.fillStyle = COLORS.pinDot;
        ctx.fill();
      } else {
        ctx.strokeStyle = COLORS.border;
        ctx.lineWidth = Math.max(2, r / 4);
        ctx.stroke();
      }
    }
  }

  private qr(rect: Rect, payload: string): void {
    const { ctx } = this;
    const side = Math.min(rect.w, rect.h);
    const box = { x: rect.x + Math.floor((rect.w - side) / 2), y: rect.y + Math.floor((rect.h - side) / 2), w: side, h: side };
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(box.x, box.y, box.w, box.h);
    const modules = qrModules(payload);
    // Whole pixels per module, or a camera sees blurred edges; what is left over widens the quiet zone.
    const module = Math.floor(side / (modules.length + 2 * QR_QUIET_ZONE));
    const off = Math.floor((side - module * modules.length) / 2);
    ctx.fillStyle = '#000000';
    modules.forEach((row, y) => row.forEach((on, x) => on && ctx.fillRect(box.x + off + x * module, box.y + off + y * module, module, module)));
  }

  private progress(rect: Rect, value?: number): void {
    const { ctx } = this;
    if (value !== undefined) {
      roundRect(ctx, rect, rect.h / 2, COLORS.secondary);
      const w = Math.max(rect.h, rect.w * Math.min(1, Math.max(0, value)));
      roundRect(ctx, { ...rect, w }, rect.h / 2, COLORS.primary);
      return;
    }
    const r = Math.min(rect.w, rect.h) / 2 - 4;
    const cx = rect.x + rect.w / 2;
    const cy = rect.y + rect.h / 2;
    ctx.lineWidth = Math.max(4, r / 6);
    ctx.strokeStyle = COLORS.secondary;
    ctx.beginPath();
    ctx.arc(cx, cy, r, 0, Math.PI * 2);
    ctx.stroke();
    ctx.strokeStyle = COLORS.primary;
    ctx.beginPath();
    ctx.arc(cx, cy, r, -Math.PI / 2, Math.PI);
    ctx.stroke();
  }
}

function union(a: Rect, b: Rect): Rect {
  const x = Math.min(a.x, b.x);
  const y = Math.min(a.y, b.y);
  return { x, y, w: Math.max(a.x + a.w, b.x + b.w) - x, h: Math.max(a.y + a.h, b.y + b.h) - y };
}
