/** Every fixed text of the screens, in zh-CN (default) and English. Error texts come from ERROR_CODES. */
import { ERROR_CODES, type ErrorCode } from '../common/errors.ts';
import { formatYuan } from '../common/money.ts';
import type { RecordKind, RecordState } from '../common/api/topics.ts';
import type { Lang, MenuItem, Operation, ProcessingStep, TransactionRecord } from './view-model.ts';

const zh = {
  otherLang: 'English',
  kiosk: '终端',
  tapCard: '请将校园卡放在读卡区',
  tapCardHint: '圈存 · 补助领取 · 缴费 · 查询',
  announcements: '公告',
  noAnnouncements: '暂无公告',
  cardholder: '持卡人',
  cardNo: '卡号',
  balance: '卡内余额',
  continue: '继续',
  cancel: '取消',
  back: '返回',
  confirm: '确认',
  del: '删除',
  ok: '确定',
  chooseService: '请选择服务',
  chooseAmount: '请选择圈存金额',
  otherAmount: '其他金额',
  limits: '单笔 {min} – {max} 元，卡内余额上限 {purse} 元',
  enterPin: '请在密码键盘上输入银行卡密码',
  enterTechPin: '请输入维护密码',
  attemptsLeft: '还可尝试 {n} 次',
  pinHint: '输入完成后按确认键',
  processing: '正在处理，请勿移开卡片',
  success: '交易成功',
  failure: '交易未完成',
  newBalance: '当前余额',
  amountLabel: '金额',
  reference: '流水号',
  rePresentTitle: '请将同一张卡重新放回读卡区',
  rePresentBody: '{amount} 元尚未写入卡片。超时后金额将保留为待领圈存，下次放卡即可领取。',
  receiptTitle: '是否打印凭条？',
  receiptPrint: '打印凭条',
  receiptSkip: '不需要',
  receiptQr: '扫码查看电子凭条',
  paperOut: '打印纸已用完，无法打印凭条',
  printerFault: '打印机故障，无法打印凭条',
  recordsTitle: '余额与最近交易',
  noRecords: '暂无交易记录',
  campusRecords: '校园卡账户记录',
  campusRecordsTitle: '账户记录（第 {page}/{pages} 页）',
  campusOwed: '待领 {count} 笔，共 {amount}，放卡即可领取',
  campusNoOwed: '暂无待领款项',
  previousPage: '上一页',
  nextPage: '下一页',
  pendingTitle: '待领款项',
  noPending: '暂无待领款项',
  collectBy: '{date}前有效',
  collect: '领取',
  feesTitle: '请选择缴费项目',
  feeAccountTitle: '请输入{biller}的房间号或账号',
  feeAccountHint: '输入后按确定，核对缴费对象',
  chooseFee: '请选择缴费金额',
  payee: '缴费对象：{payee}',
  feeLimits: '单笔最多 {max} 元，不超过卡内余额 {balance} 元',
  outOfService: '暂停服务',
  outOfServiceHint: '请使用其他圈存机或前往服务中心',
  maintenanceTitle: '维护',
  returnIn: '{n} 秒后返回首页',
  version: '版本',
  uptime: '运行时间',
  reader: '读卡器',
  pinPad: '密码键盘',
  printer: '打印机',
  network: '网络',
  journalOpen: '未完结交易',
  lastError: '最近错误',
  reboot: '重启',
  testPrint: '测试打印',
  resync: '重新同步',
  exit: '退出维护',
  statusOk: '正常',
  statusFault: '故障',
  statusUp: '已连接',
  statusDown: '已断开',
  statusPaperOut: '缺纸',
  whatToDo: '请取回卡片。如有疑问请联系服务中心。',
  retryHint: '请稍后重试。',
};

type Strings = typeof zh;

const en: Strings = {
  otherLang: '中文',
  kiosk: 'Kiosk',
  tapCard: 'Tap your campus card on the reader',
  tapCardHint: 'Load · Subsidies · Fees · Queries',
  announcements: 'Notices',
  noAnnouncements: 'No notices',
  cardholder: 'Cardholder',
  cardNo: 'Card no.',
  balance: 'Card balance',
  continue: 'Continue',
  cancel: 'Cancel',
  back: 'Back',
  confirm: 'Confirm',
  del: 'Delete',
  ok: 'OK',
  chooseService: 'Choose a service',
  chooseAmount: 'Choose an amount to load',
  otherAmount: 'Other amount',
  limits: 'Per load ¥{min} – ¥{max}; card holds at most ¥{purse}',
  enterPin: 'Enter your bank card PIN on the PIN pad',
  enterTechPin: 'Enter the maintenance PIN',
  attemptsLeft: '{n} tries left',
  pinHint: 'Press Enter on the PIN pad when done',
  processing: 'Please keep your card on the reader',
  success: 'Done',
  failure: 'Not completed',
  newBalance: 'Balance now',
  amountLabel: 'Amount',
  reference: 'Ref.',
  rePresentTitle: 'Put the same card back on the reader',
  rePresentBody: '¥{amount} is not on the card yet. If time runs out it waits as a pending load; tap your card at any kiosk to collect it.',
  receiptTitle: 'Print a receipt?',
  receiptPrint: 'Print receipt',
  receiptSkip: 'No, thanks',
  receiptQr: 'Scan for an e-receipt',
  paperOut: 'The printer is out of paper: no paper receipt',
  printerFault: 'The printer is faulty: no paper receipt',
  recordsTitle: 'Balance and recent transactions',
  noRecords: 'No transactions yet',
  pendingTitle: 'Waiting to be collected',
  noPending: 'Nothing to collect',
  collectBy: 'until {date}',
  campusRecords: 'Campus account records',
  campusRecordsTitle: 'Campus records, page {page} of {pages}',
  campusOwed: '{count} waiting, {amount} in all: collected at your next tap',
  campusNoOwed: 'Nothing waiting to be collected',
  previousPage: 'Previous',
  nextPage: 'Next',
  collect: 'Collect',
  feesTitle: 'Choose a fee to pay',
  feeAccountTitle: 'Room or account number for {biller}',
  feeAccountHint: 'Press OK to look it up and check whom you pay',
  chooseFee: 'Choose the amount to pay',
  payee: 'Paying: {payee}',
  feeLimits: 'Up to {max} yuan at a time, and no more than the card balance of {balance} yuan',
  outOfService: 'Out of service',
  outOfServiceHint: 'Please use another kiosk or visit the service centre',
  maintenanceTitle: 'Maintenance',
  returnIn: 'Back to start in {n} s',
  version: 'Version',
  uptime: 'Uptime',
  reader: 'Card reader',
  pinPad: 'PIN pad',
  printer: 'Printer',
  network: 'Network',
  journalOpen: 'Open transactions',
  lastError: 'Last error',
  reboot: 'Reboot',
  testPrint: 'Test print',
  resync: 'Resync',
  exit: 'Leave',
  statusOk: 'OK',
  statusFault: 'Fault',
  statusUp: 'Up',
  statusDown: 'Down',
  statusPaperOut: 'Out of paper',
  whatToDo: 'Take your card. Ask the service centre if in doubt.',
  retryHint: 'Please try again later.',
};

const TABLE: Record<Lang, Strings> = { zh, en };

export type StringKey = keyof Strings;

/** The text for `key`, with `{name}` placeholders filled from `vars`. */
export function tr(lang: Lang, key: StringKey, vars: Record<string, string | number> = {}): string {
  return TABLE[lang][key].replace(/\{(\w+)\}/g, (_, name: string) => String(vars[name] ?? ''));
}

export function errorText(lang: Lang, code: ErrorCode): string {
  return ERROR_CODES[code][lang];
}

const MENU: Record<MenuItem, { zh: string; en: string }> = {
  load: { zh: '圈存', en: 'Load from bank' },
  collect: { zh: '领款 / 补助领取', en: 'Collect loads & subsidies' },
  fees: { zh: '缴费', en: 'Pay fees' },
  records: { zh: '查询', en: 'Balance & history' },
  announcements: { zh: '公告', en: 'Notices' },
};

const OPERATION: Record<Operation, { zh: string; en: string }> = {
  load: { zh: '圈存', en: 'Load' },
  collect: { zh: '领款', en: 'Collection' },
  subsidy: { zh: '补助领取', en: 'Subsidy' },
  fee: { zh: '缴费', en: 'Fee payment' },
};

const STEP: Record<ProcessingStep, { zh: string; en: string }> = {
  'reading-card': { zh: '正在读卡…', en: 'Reading your card…' },
  'card-init': { zh: '正在准备卡片…', en: 'Preparing your card…' },
  bank: { zh: '正在向银行转账…', en: 'Transferring from your bank…' },
  'card-credit': { zh: '正在写入卡片…', en: 'Writing to your card…' },
  confirming: { zh: '正在确认交易…', en: 'Confirming the transaction…' },
  reversing: { zh: '正在撤销银行扣款…', en: 'Reversing the bank debit…' },
  collecting: { zh: '正在领取款项…', en: 'Collecting to your card…' },
  paying: { zh: '正在缴费…', en: 'Paying the fee…' },
  querying: { zh: '正在查询…', en: 'Looking up…' },
  printing: { zh: '正在打印凭条…', en: 'Printing the receipt…' },
};

const RECORD_KIND: Record<TransactionRecord['kind'] | RecordKind, { zh: string; en: string }> = {
  load: { zh: '圈存', en: 'Load' },
  collect: { zh: '领款', en: 'Collected' },
  subsidy: { zh: '补助', en: 'Subsidy' },
  fee: { zh: '缴费', en: 'Fee' },
  'fee-refund': { zh: '缴费退回', en: 'Fee refund' },
  transfer: { zh: '批量转账', en: 'Transfer' },
  purchase: { zh: '消费', en: 'Purchase' },
};

export const menuText = (lang: Lang, item: MenuItem): string => MENU[item][lang];
export const operationText = (lang: Lang, op: Operation): string => OPERATION[op][lang];
export const stepText = (lang: Lang, step: ProcessingStep): string => STEP[step][lang];
export const recordKindText = (lang: Lang, kind: TransactionRecord['kind'] | RecordKind): string => RECORD_KIND[kind][lang];

const RECORD_STATE: Record<RecordState, { zh: string; en: string }> = {
  done: { zh: '成功', en: 'Done' },
  owed: { zh: '待领', en: 'To collect' },
  'in-progress': { zh: '处理中', en: 'In progress' },
  refused: { zh: '未成功', en: 'Refused' },
  reversed: { zh: '已退回', en: 'Reversed' },
  held: { zh: '待核查', en: 'Under review' },
};

export const recordStateText = (lang: Lang, state: RecordState): string => RECORD_STATE[state][lang];

/** "¥50.00" / "-¥12.50" in both languages: the cardholder reads amounts the same way. */
export function yuan(fen: number): string {
  return `${fen < 0 ? '-' : ''}¥${formatYuan(Math.abs(fen))}`;
}
