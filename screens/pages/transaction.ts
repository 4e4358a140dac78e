/** While money moves and right after: processing, result, "same card again" and the receipt offer. */
import { ERROR_CODES } from '../../common/errors.ts';
import { formatYuan } from '../../common/money.ts';
import type { Rect } from '../layout.ts';
import { cols, inset, rows } from '../layout.ts';
import { COLORS } from '../theme.ts';
import { button, label, type Widget } from '../widgets.ts';
import { errorText, operationText, stepText, tr, yuan } from '../strings.ts';
import { banner } from './parts.ts';
import { need, type Page } from './chrome.ts';

export const processing: Page = {
  render({ view, m, content }) {
    const lang = view.lang;
    const p = need(view.processing, 'processing', 'processing');
    const [what, dial, step, warn] = rows(inset(content, m.gap * 2, 0), [1, 3, 1, 1], m.gap) as [Rect, Rect, Rect, Rect];
    const widgets: Widget[] = [];
    if (p.operation && p.amount !== undefined) {
      widgets.push(label('processing.what', what, `${operationText(lang, p.operation)} ${yuan(p.amount)}`, { size: m.font.big, align: 'center', bold: true }));
    }
    const bar = p.progress === undefined ? dial : { x: dial.x, y: dial.y + Math.round(dial.h / 2 - 10 * m.unit), w: dial.w, h: Math.round(20 * m.unit) };
    widgets.push(
      { kind: 'progress', id: 'processing.progress', rect: bar, ...(p.progress === undefined ? {} : { value: p.progress }) },
      label('processing.step', step, stepText(lang, p.step), { size: m.font.title, align: 'center', color: COLORS.primary }),
      banner('processing.warn', warn, tr(lang, 'processing'), 'warn', m),
    );
    return widgets;
  },
};

export const result: Page = {
  render({ view, m, content }) {
    const lang = view.lang;
    const r = need(view.result, 'result', 'result');
    const [head, amountBox, detail, hint, ok] = rows(inset(content, m.gap * 2, 0), [2, 1, 1, 1, -Math.max(m.touchMin, Math.round(64 * m.unit))], m.gap) as [Rect, Rect, Rect, Rect, Rect];
    const headText = r.ok ? tr(lang, 'success') : `${tr(lang, 'failure')}：${errorText(lang, r.code ?? 'INTERNAL')}`;
    const widgets: Widget[] = [
      banner('result.head', head, headText, r.ok ? 'ok' : 'error', m, m.font.big),
      label('result.amount', amountBox, `${operationText(lang, r.operation)} ${yuan(r.amount)}`, { size: m.font.title, align: 'center', bold: true }),
    ];
    if (r.newBalance !== undefined) {
      widgets.push(label('result.balance', detail, `${tr(lang, 'newBalance')} ${yuan(r.newBalance)}`, { size: m.font.title, align: 'center', color: COLORS.primary, bold: true }));
    }
    const advice = r.ok ? (r.reference ? `${tr(lang, 'reference')} ${r.reference}` : '') : tr(lang, ERROR_CODES[r.code ?? 'INTERNAL'].retryable ? 'retryHint' : 'whatToDo');
    const reference = !r.ok && r.reference ? `  ${tr(lang, 'reference')} ${r.reference}` : '';
    widgets.push(
      label('result.hint', hint, advice + reference, { size: m.font.body, align: 'center', color: COLORS.muted, wrap: true }),
      button('result.ok', { ...ok, x: ok.x + ok.w / 4, w: ok.w / 2 }, tr(lang, 'ok'), { type: 'confirm' }, m.font.title, 'primary'),
    );
    return widgets;
  },
};

export const rePresent: Page = {
  render({ view, m, content }) {
    const lang = view.lang;
    const r = need(view.rePresent, 'rePresent', 're-present');
    const [title, dial, body] = rows(inset(content, m.gap * 2, 0), [1, 2, 2], m.gap) as [Rect, Rect, Rect];
    const side = Math.min(dial.w, dial.h);
    return [
      banner('re-present.title', title, tr(lang, 'rePresentTitle'), 'warn', m, m.font.title),
      { kind: 'countdown', id: 're-present.countdown', rect: { x: dial.x + Math.round((dial.w - side) / 2), y: dial.y, w: side, h: side }, seconds: r.secondsLeft, tone: 'warn' },
      label('re-present.body', body, tr(lang, 'rePresentBody', { amount: formatYuan(r.amount) }), { size: m.font.body, align: 'center', wrap: true }),
    ];
  },
};

export const receipt: Page = {
  exit: 'cancel',
  render({ view, m, content }) {
    const lang = view.lang;
    const r = need(view.receipt, 'receipt', 'receipt');
    const portrait = m.orientation === 'portrait';
    const [choice, qrBox] = (portrait ? rows(content, [1, 1], m.gap * 2) : cols(content, [3, 2], m.gap * 2)) as [Rect, Rect];
    const [title, note, buttons] = rows(choice, [1, 1, 1], m.gap) as [Rect, Rect, Rect];
    const [printBox, skipBox] = cols(buttons, [1, 1], m.gap) as [Rect, Rect];
    const widgets: Widget[] = [label('receipt.title', title, tr(lang, 'receiptTitle'), { size: m.font.big, align: 'center', bold: true })];
    if (!r.available) widgets.push(banner('receipt.unavailable', note, tr(lang, r.reason === 'printer-fault' ? 'printerFault' : 'paperOut'), 'warn', m));
    widgets.push(
      button('receipt.print', printBox, tr(lang, 'receiptPrint'), { type: 'receipt', print: true }, m.font.title, 'primary', !r.available),
      button('receipt.skip', skipBox, tr(lang, 'receiptSkip'), { type: 'receipt', print: false }, m.font.title),
    );
    if (r.qrPayload) {
      const [qr, caption] = rows(qrBox, [4, 1], m.gap) as [Rect, Rect];
      widgets.push(
        { kind: 'qr', id: 'receipt.qr', rect: qr, payload: r.qrPayload },
        label('receipt.qr.caption', caption, tr(lang, 'receiptQr'), { size: m.font.body, align: 'center', color: COLORS.muted }),
      );
    }
    return widgets;
  },
};
