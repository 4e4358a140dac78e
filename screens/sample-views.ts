/** One KioskView per screen state, with realistic data: used by the layout tests, the catalogue and the docs. */
import { createCanvas } from '@napi-rs/canvas';
import { announcementLimits } from '../common/api/topics.ts';
import type { Announcement, CardSummary, KioskView, Lang } from './view-model.ts';
import { tr } from './strings.ts';

export interface SampleView {
  name: string;
  view: KioskView;
}

/** A plain emblem drawn without text, so the sample needs no font. */
function emblem(): Uint8Array {
  const c = createCanvas(160, 160);
  const ctx = c.getContext('2d');
  ctx.fillStyle = '#0b4f8a';
  ctx.beginPath();
  ctx.arc(80, 80, 76, 0, Math.PI * 2);
  ctx.fill();
  ctx.fillStyle = '#ffffff';
  ctx.beginPath();
  ctx.moveTo(80, 28);
  ctx.lineTo(128, 112);
  ctx.lineTo(32, 112);
  ctx.closePath();
  ctx.fill();
  ctx.fillStyle = '#0b4f8a';
  ctx.fillRect(66, 84, 28, 28);
  return c.encodeSync('png');
}

const CARD: CardSummary = { maskedName: '张*明', maskedNo: '****3456', balance: 12_350 };

const ANNOUNCEMENTS: Announcement[] = [
  {
    id: 'a1',
    date: '11-27',
    title: { zh: '十一月伙食补助已发放，请到圈存机领取', en: 'November meal subsidy is out: collect it at any kiosk' },
    body: {
      zh: '2026年11月伙食补助已于11月27日发放至校园卡账户，请在任意圈存机放卡后选择“领款 / 补助领取”。未领取的补助保留至学期末。',
      en: 'The November 2026 meal subsidy was credited on 27 November. Tap your card at any kiosk and choose "Collect". Uncollected subsidies are kept until the end of term.',
    },
  },
  {
    id: 'a2',
    date: '11-25',
    title: { zh: '12月1日 02:00–04:00 系统维护，暂停圈存', en: 'Maintenance on 1 Dec, 02:00–04:00: loads paused' },
    body: {
      zh: '因银行系统升级，12月1日凌晨2点至4点暂停圈存业务，消费不受影响。',
      en: 'Because of a bank system upgrade, loads are paused on 1 December from 02:00 to 04:00. Card payments are not affected.',
    },
  },
  {
    id: 'a3',
    date: '11-20',
    title: { zh: '校园卡挂失请拨打服务中心电话 8888-6000', en: 'To report a lost card call the service centre: 8888-6000' },
    body: { zh: '服务中心位于第二食堂一楼，工作时间 8:00–20:00。', en: 'The service centre is on the ground floor of Canteen 2, open 8:00–20:00.' },
  },
];

function base(screen: KioskView['screen'], lang: Lang): KioskView {
  return {
    screen,
    lang,
    clock: '2026-11-28 12:03',
    campusName: { zh: '清源大学 校园一卡通', en: 'Qingyuan University Campus Card' },
    kioskId: 'QY-LIB-02',
    mode: 'in-service',
  };
}

const AMOUNT = { operation: 'load' as const, presets: [2_000, 5_000, 10_000, 20_000, 30_000, 50_000], entered: null, minLoad: 100, maxLoad: 50_000, purseLimit: 100_000 };

/** `text` repeated and cut to exactly `length` characters, without a space at its end. */
const filled = (text: string, length: number) => text.repeat(Math.ceil(length / text.length) + 1).slice(0, length).replace(/ $/, '.');

/**
 * The longest notices the gateway may publish (common/api/topics.ts `announcementLimits`): four on idle, and a body
 * with every line break it may have, so the layout test proves the limits fit the screens.
 */
const LONGEST: Announcement[] = [1, 2, 3, 4].map((n) => {
  const { title, body, bodyLineBreaks } = announcementLimits;
  const paragraph = (text: string, length: number) => {
    const part = Math.floor((length - bodyLineBreaks) / (bodyLineBreaks + 1));
    const paragraphs = Array.from({ length: bodyLineBreaks + 1 }, (_, i) => filled(text, i === bodyLineBreaks ? length - bodyLineBreaks - part * bodyLineBreaks : part));
    return paragraphs.join('\n');
  };
  return {
    id: `max${n}`,
    date: '12-31',
    title: {
      zh: filled('寒假期间图书馆与各食堂圈存机开放时间调整通知，', title.zh),
      en: filled('Kiosk opening hours in the library and the canteens change over the winter break; ', title.en),
    },
    body: {
      zh: paragraph('因寒假期间校园网络与银行系统升级维护，圈存业务时间调整如下，请同学们提前安排圈存。', body.zh),
      en: paragraph('Because the campus network and the bank systems are upgraded over the winter break, loads are available at other hours; please plan ahead. ', body.en),
    },
  };
});

export function sampleViews(lang: Lang = 'zh'): SampleView[] {
  const session = (screen: KioskView['screen']): KioskView => ({ ...base(screen, lang), card: CARD, inactivitySecondsLeft: 45 });
  return [
    { name: 'idle', view: { ...base('idle', lang), campusLogo: emblem(), announcements: ANNOUNCEMENTS } },
    { name: 'card', view: { ...session('card'), inactivitySecondsLeft: 8 } },
    { name: 'menu', view: { ...session('menu'), pending: [{ id: 'p1', kind: 'subsidy', amount: 15_000, label: '2026年11月 伙食补助', date: '2026-11-27' }] } },
    { name: 'amount', view: { ...session('amount'), amount: { ...AMOUNT, entered: 3_500 } } },
    { name: 'amount-error', view: { ...session('amount'), amount: { ...AMOUNT, entered: 90_000, error: 'AMOUNT_OVER_LOAD_LIMIT' } } },
    { name: 'pin', view: { ...session('pin'), pin: { digits: 4, maxDigits: 6, purpose: 'bank', operation: 'load', amount: 5_000 } } },
    { name: 'pin-retry', view: { ...session('pin'), pin: { digits: 0, maxDigits: 6, purpose: 'bank', operation: 'load', amount: 5_000, attemptsLeft: 2 } } },
    { name: 'processing', view: { ...session('processing'), inactivitySecondsLeft: undefined, processing: { step: 'bank', operation: 'load', amount: 5_000 } } },
    { name: 'processing-progress', view: { ...session('processing'), inactivitySecondsLeft: undefined, processing: { step: 'card-credit', operation: 'load', amount: 5_000, progress: 0.7 } } },
    { name: 'result-ok', view: { ...session('result'), result: { ok: true, operation: 'load', amount: 5_000, newBalance: 17_350, reference: '20261128120412000317' } } },
    { name: 'result-subsidy', view: { ...session('result'), result: { ok: true, operation: 'subsidy', amount: 15_000, newBalance: 27_350, reference: 'K001-00000412' } } },
    { name: 'result-subsidy-expired', view: { ...session('result'), result: { ok: false, operation: 'subsidy', amount: 3_000, newBalance: 12_350, code: 'SUBSIDY_EXPIRED' } } },
    { name: 'result-declined', view: { ...session('result'), result: { ok: false, operation: 'load', amount: 5_000, newBalance: 12_350, code: 'BANK_INSUFFICIENT_FUNDS' } } },
    { name: 'result-timeout', view: { ...session('result'), result: { ok: false, operation: 'load', amount: 5_000, code: 'BANK_TIMEOUT', reference: '20261128120412000318' } } },
    { name: 're-present', view: { ...session('re-present'), inactivitySecondsLeft: undefined, rePresent: { secondsLeft: 27, amount: 5_000 } } },
    { name: 'receipt', view: { ...session('receipt'), receipt: { available: true, qrPayload: '20261128120412000317' } } },
    { name: 'receipt-paper-out', view: { ...session('receipt'), receipt: { available: false, reason: 'paper-out', qrPayload: '20261128120412000317' } } },
    {
      name: 'records',
      view: {
        ...session('records'),
        records: [
          { time: '2026-11-28 11:52', kind: 'purchase', amount: -1_250, place: '第二食堂 2F' },
          { time: '2026-11-27 18:10', kind: 'subsidy', amount: 15_000, place: '补助发放' },
          { time: '2026-11-27 07:41', kind: 'purchase', amount: -600, place: '第一食堂 早餐' },
          { time: '2026-11-26 12:15', kind: 'load', amount: 10_000, place: '图书馆 圈存机' },
          { time: '2026-11-25 20:02', kind: 'fee', amount: -3_000, place: '宿舍电费' },
          { time: '2026-11-25 12:20', kind: 'purchase', amount: -1_480, place: '第二食堂 1F' },
          { time: '2026-11-24 09:05', kind: 'purchase', amount: -350, place: '超市' },
        ],
      },
    },
    {
      name: 'campus-records',
      view: {
        ...session('campus-records'),
        campusRecords: {
          page: 2, pages: 3, owed: { count: 1, amount: 3_000 },
          items: [
            { time: '2026-11-27 18:12', kind: 'load', amount: 3_000, place: 'QY-LIB-02', state: 'owed' },
            { time: '2026-11-26 12:15', kind: 'collect', amount: 20_000, place: 'QY-CAN2-01', state: 'done' },
            { time: '2026-11-25 08:02', kind: 'load', amount: 50_000, place: 'QY-DORM-11', state: 'refused' },
            { time: '2026-11-24 21:40', kind: 'load', amount: 100_000, place: 'QY-LIB-02', state: 'reversed' },
          ],
        },
      },
    },
    { name: 'campus-records-empty', view: { ...session('campus-records'), campusRecords: { page: 1, pages: 1, owed: { count: 0, amount: 0 }, items: [] } } },
    {
      name: 'pending',
      view: {
        ...session('pending'),
        pending: [
          // As runtime/ui/ui-view.ts lists them: the campus's reason and period, and the last day to collect.
          { id: 'p1', kind: 'subsidy', amount: 15_000, label: '伙食补助 2026-11', date: tr(lang, 'collectBy', { date: '2026-12-31' }) },
          { id: 'p2', kind: 'subsidy', amount: 80_050, label: '2026年度家庭经济困难学生冬季取暖补助（一次性发放） 2026-12', date: tr(lang, 'collectBy', { date: '2027-03-31' }) },
        ],
      },
    },
    {
      name: 'fees',
      view: {
        ...session('fees'),
        fees: [
          { id: 'power', label: { zh: '宿舍电费 12栋 305', en: 'Dorm electricity, B12 room 305' }, amount: 3_000 },
          { id: 'net', label: { zh: '校园网 包月', en: 'Campus network, monthly' }, amount: 2_000 },
          { id: 'bath', label: { zh: '浴室 充值', en: 'Shower credit' }, amount: 1_000 },
        ],
      },
    },
    {
      name: 'fees-billers',
      view: {
        ...session('fees'),
        fees: [
          { id: 'dorm-power', label: { zh: '宿舍电费', en: 'Dorm electricity' } },
          { id: 'campus-net', label: { zh: '校园网费', en: 'Campus network' } },
        ],
      },
    },
    { name: 'fee-account', view: { ...session('fee-account'), feeAccount: { biller: { zh: '宿舍电费', en: 'Dorm electricity' }, entered: '3402' } } },
    {
      name: 'fee-account-unknown',
      view: { ...session('fee-account'), feeAccount: { biller: { zh: '宿舍电费', en: 'Dorm electricity' }, entered: '9999', error: 'BILLER_ACCOUNT_UNKNOWN' } },
    },
    {
      name: 'fee-amount',
      view: { ...session('amount'), amount: { operation: 'fee', presets: [1_000, 2_000, 5_000, 10_000, 20_000, 30_000], entered: null, minLoad: 100, maxLoad: 50_000, purseLimit: 50_000, payee: '张三 · 东区3号楼402' } },
    },
    { name: 'result-fee-pending', view: { ...session('result'), result: { ok: false, operation: 'fee', amount: 3_000, newBalance: 9_350, code: 'FEE_PAYMENT_PENDING', reference: 'K001-00000043' } } },
    { name: 'result-fee-refund', view: { ...session('result'), result: { ok: false, operation: 'fee', amount: 3_000, newBalance: 12_350, code: 'FEE_REFUNDED', reference: 'K001-00000042' } } },
    { name: 'announcements', view: { ...session('announcements'), announcements: ANNOUNCEMENTS } },
    { name: 'idle-announcements-longest', view: { ...base('idle', lang), campusLogo: emblem(), announcements: LONGEST } },
    { name: 'announcements-longest', view: { ...session('announcements'), announcements: LONGEST } },
    { name: 'out-of-service', view: { ...base('out-of-service', lang), mode: 'out-of-service', outOfService: 'LINK_OFFLINE' } },
    { name: 'maintenance-pin', view: { ...base('maintenance-pin', lang), pin: { digits: 3, maxDigits: 6, purpose: 'technician' }, inactivitySecondsLeft: 30 } },
    {
      name: 'maintenance',
      view: {
        ...base('maintenance', lang),
        mode: 'maintenance',
        maintenance: { version: '0.1.0', uptime: '3d 04:12', reader: 'ok', pinPad: 'ok', printer: 'paper-out', network: 'up', journalOpen: 1, lastError: 'BANK_TIMEOUT' },
      },
    },
  ];
}
