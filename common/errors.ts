/**
 * The one error type of quancun. Every failure a cardholder, operator or integrator can meet carries a stable `code`;
 * callers and tests branch on the code, screens map it to a message, logs print it.
 */
export const ERROR_CODES = {
  // cardholder input
  AMOUNT_INVALID: { retryable: false, zh: '金额无效，请重新输入', en: 'Invalid amount, please enter it again' },
  AMOUNT_OVER_PURSE_LIMIT: { retryable: false, zh: '超过卡内余额上限', en: 'Amount exceeds the card purse limit' },
  AMOUNT_OVER_LOAD_LIMIT: { retryable: false, zh: '超过单笔圈存限额', en: 'Amount exceeds the single-load limit' },
  PIN_WRONG: { retryable: false, zh: '密码错误', en: 'Wrong PIN' },
  PIN_BLOCKED: { retryable: false, zh: '密码已锁定，请到服务中心办理', en: 'PIN blocked, please visit the service centre' },
  PIN_ENTRY_CANCELLED: { retryable: false, zh: '已取消输入密码', en: 'PIN entry cancelled' },
  // card
  CARD_ABSENT: { retryable: true, zh: '请放卡', en: 'Please tap your card' },
  CARD_REMOVED: { retryable: true, zh: '卡片已移开，请重新放卡', en: 'Card removed, please tap again' },
  CARD_UNKNOWN: { retryable: false, zh: '卡片未登记，请到服务中心办理', en: 'Card not registered, please visit the service centre' },
  CARD_NOT_BOUND: { retryable: false, zh: '卡片未绑定银行账户', en: 'Card is not bound to a bank account' },
  CARD_EXPIRED: { retryable: false, zh: '卡片已过期', en: 'Card has expired' },
  CARD_ERROR: { retryable: false, zh: '读卡失败，请重新放卡', en: 'Card could not be read, please tap again' },
  CARD_MAC_INVALID: { retryable: false, zh: '卡片校验失败', en: 'Card verification failed' },
  CARD_TAC_INVALID: { retryable: false, zh: '交易校验失败，请联系服务中心', en: 'Transaction proof failed, contact the service centre' },
  CARD_MISMATCH: { retryable: false, zh: '不是同一张卡', en: 'This is not the same card' },
  // the exchange with the card broke off: what the card did with the command is unknown (hal/card-reader)
  CARD_NO_ANSWER: { retryable: true, zh: '卡片无应答，请重新放卡', en: 'The card did not answer, please tap again' },
  CARD_NOT_TRANSACTED: { retryable: true, zh: '读卡中断，请重新放卡', en: 'The card exchange broke off, please tap again' },
  CARD_RESET: { retryable: true, zh: '卡片已复位，请重新放卡', en: 'The card was reset, please tap again' },
  CARD_UNPOWERED: { retryable: true, zh: '卡片断电，请重新放卡', en: 'The card lost power, please tap again' },
  CARD_UNRESPONSIVE: { retryable: true, zh: '卡片无响应，请重新放卡', en: 'The card does not respond, please tap again' },
  CARD_TIMEOUT: { retryable: true, zh: '卡片应答超时，请重新放卡', en: 'The card took too long to answer, please tap again' },
  // reader / devices
  READER_UNAVAILABLE: { retryable: true, zh: '读卡器故障，暂停服务', en: 'Card reader unavailable, out of service' },
  READER_COMM_ERROR: { retryable: true, zh: '读卡器通信错误，请重新放卡', en: 'Card reader communication error, please tap again' },
  // bank
  BANK_DECLINED: { retryable: false, zh: '银行拒绝交易', en: 'The bank declined the transfer' },
  BANK_INSUFFICIENT_FUNDS: { retryable: false, zh: '银行账户余额不足', en: 'Insufficient funds in the bank account' },
  BANK_TIMEOUT: { retryable: true, zh: '银行无应答，交易已冲正', en: 'The bank did not answer; the transfer is being reversed' },
  BANK_UNAVAILABLE: { retryable: true, zh: '银行暂时不可用', en: 'The bank is unavailable' },
  BANK_MAC_INVALID: { retryable: false, zh: '银行报文校验失败', en: 'Bank message failed verification' },
  BANK_PROTOCOL: { retryable: false, zh: '银行报文错误', en: 'Malformed bank message' },
  BANK_NOT_SIGNED_ON: { retryable: true, zh: '银行未签到', en: 'Not signed on with the bank' },
  BANK_UNKNOWN: { retryable: false, zh: '没有该银行', en: 'No bank with that id in the configuration' },
  BANK_KEY_INVALID: { retryable: true, zh: '银行工作密钥校验失败', en: 'The working keys from the bank failed their check values' },
  // link to the gateway
  LINK_OFFLINE: { retryable: true, zh: '网络中断，暂停圈存', en: 'Network down, loads are paused' },
  LINK_TIMEOUT: { retryable: true, zh: '前置机无应答', en: 'The gateway did not answer' },
  LINK_BAD_MESSAGE: { retryable: false, zh: '报文格式错误', en: 'Malformed message' },
  // transactions
  TXN_UNKNOWN: { retryable: false, zh: '交易不存在', en: 'Unknown transaction' },
  TXN_STATE: { retryable: false, zh: '交易状态错误', en: 'Transaction is not in a state that allows this' },
  KIOSK_STOPPING: { retryable: true, zh: '终端正在停止服务，请稍后再试', en: 'The kiosk is stopping; please try again shortly' },
  // settlement and reconciliation (gateway operators)
  RECON_FILE_MISSING: { retryable: true, zh: '银行对账文件未到', en: "The bank's reconciliation file for that day is not there" },
  RECON_RUN_UNKNOWN: { retryable: false, zh: '对账批次不存在', en: 'No such reconciliation run' },
  RECON_RUN_CONFLICT: { retryable: true, zh: '该银行该日的对账正在进行', en: 'A reconciliation of that bank and day is already under way' },
  RECON_RUN_STATE: { retryable: false, zh: '对账批次未完成或已被更新的批次取代', en: 'The reconciliation run is not finished, or a later run of that day supersedes it' },
  RECON_DIFFERENCE_UNKNOWN: { retryable: false, zh: '对账差异不存在', en: 'The run has no difference with that STAN' },
  RECON_DIFFERENCE_STATE: { retryable: false, zh: '该差异已处理或不可人工处理', en: 'The difference is resolved already, or not one a person resolves' },
  RECON_RESOLUTION_INVALID: { retryable: false, zh: '处理方式无效或缺少说明', en: 'Not a resolution of that class, or the note is missing' },
  LOAD_PENDING: {
    retryable: false, zh: '金额未写入卡片，已保留为待领圈存，在任一圈存机放卡即可领取',
    en: 'The amount did not reach the card and waits as a pending load; tap your card at any kiosk to collect it',
  },
  PENDING_LOAD_FIRST: { retryable: false, zh: '该卡有待领圈存，请先领取', en: 'A pending load waits for this card; collect it first' },
  // subsidies (gateway/subsidies/): an operator's batch or single issue, or a cardholder's collect
  SUBSIDY_BATCH_INVALID: { retryable: false, zh: '补助批次有错误行，未导入任何一行', en: 'The subsidy batch has bad lines: none of it was imported' },
  SUBSIDY_BATCH_DUPLICATE: { retryable: false, zh: '该补助批次已导入', en: 'This subsidy batch was already imported' },
  SUBSIDY_LINE_INVALID: { retryable: false, zh: '补助行格式错误', en: 'A subsidy line is malformed or misses a field' },
  SUBSIDY_ACCOUNT_UNKNOWN: { retryable: false, zh: '补助的校园账户不存在', en: 'No campus account with that number' },
  SUBSIDY_AMOUNT_INVALID: { retryable: false, zh: '补助金额无效', en: 'The subsidy amount is not a valid amount in yuan' },
  SUBSIDY_LINE_DUPLICATE: { retryable: false, zh: '补助批次中有重复行', en: 'The same account, reason and period appear twice in the batch' },
  SUBSIDY_EXPIRY_PAST: { retryable: false, zh: '补助有效期已过', en: 'The expiry date is not a date, or is already past' },
  SUBSIDY_EXPIRED: { retryable: false, zh: '补助已过期，已退回', en: 'The subsidy expired and went back to the campus' },
  // the campus's one-card system (gateway/onecard/): where the cardholder accounts are and postings are delivered
  ONECARD_UNAVAILABLE: { retryable: true, zh: '一卡通系统暂时无法连接', en: 'The campus one-card system cannot be reached or did not answer' },
  ONECARD_REFUSAL_UNKNOWN: { retryable: false, zh: '没有这笔被拒入账（可能已处理）', en: 'No such refused posting (another operator may have dealt with it)' },
  ONECARD_REFUSED: { retryable: false, zh: '一卡通系统拒绝了该笔入账', en: 'The one-card system refused the posting (unknown account or impossible status change)' },
  // operator console queries
  QUERY_INVALID: { retryable: false, zh: '查询条件无效', en: 'The search or filter is not valid' },
  // kiosk queries (records.query): a kiosk reads only the card tapped on it
  QUERY_CARD_NOT_PRESENTED: { retryable: false, zh: '请在本机放卡后查询', en: "A card's records are shown only at the kiosk where it was just tapped" },
  // configuration and storage
  CONFIG_INVALID: { retryable: false, zh: '配置错误', en: 'Invalid configuration' },
  JOURNAL_UNAVAILABLE: { retryable: false, zh: '交易日志不可用，暂停服务', en: 'Journal unavailable, out of service' },
  // a step read a journal record that was written again before its own write (another gateway's step, a stale copy)
  JOURNAL_CONFLICT: { retryable: true, zh: '交易正在处理中，请稍候', en: 'The transaction changed meanwhile; this step was not taken' },
  JOURNAL_DAMAGED: { retryable: false, zh: '交易日志损坏，暂停服务，请联系服务中心', en: 'Journal damaged beyond repair and moved aside, out of service' },
  KEY_MISSING: { retryable: false, zh: '密钥缺失', en: 'Key missing' },
  SERVICE_UNAVAILABLE: { retryable: false, zh: '该服务暂未开通', en: 'This service is not available yet' },
  INTERNAL: { retryable: false, zh: '系统错误，请联系服务中心', en: 'Internal error, contact the service centre' },
  // peripherals (hal/)
  DEVICE_UNAVAILABLE: { retryable: true, zh: '设备故障，暂停服务', en: 'A device is unavailable, out of service' },
  DEVICE_PROTOCOL: { retryable: true, zh: '设备通信错误', en: 'A device sent an unexpected answer' },
  PRINTER_PAPER_OUT: { retryable: false, zh: '凭条打印机缺纸，本次不提供凭条', en: 'The receipt printer is out of paper; no receipt this time' },
  PRINTER_OFFLINE: { retryable: true, zh: '凭条打印机故障，本次不提供凭条', en: 'The receipt printer is unavailable; no receipt this time' },
  DOOR_OPEN: { retryable: false, zh: '设备维护中，暂停服务', en: 'Under maintenance, out of service' },
  EEPROM_CHECKSUM: { retryable: false, zh: '设备标识损坏，请联系服务中心', en: 'Board identity is corrupt, contact the service centre' },
  // provisioning and identity on the broker
  ENROL_CODE_INVALID: { retryable: false, zh: '注册码无效', en: 'The enrolment code is not valid for this kiosk' },
  ENROL_CODE_EXPIRED: { retryable: false, zh: '注册码已过期', en: 'The enrolment code has expired' },
  ENROL_CODE_USED: { retryable: false, zh: '注册码已使用', en: 'The enrolment code was already used' },
  ENROL_BOARD_MISMATCH: { retryable: false, zh: '该终端号已绑定另一块主板', en: 'This kiosk id is bound to another board' },
  ENROL_CSR_INVALID: { retryable: false, zh: '证书请求无效', en: 'The certificate request is not valid' },
  ENROL_CA_MISMATCH: { retryable: false, zh: '前置机证书与注册码不符', en: 'The broker\'s CA is not the campus CA the enrolment code names' },
  PAD_KEY_REFUSED: { retryable: false, zh: '密码键盘拒绝密钥', en: 'The PIN pad refused the key it was sent' },
  SELF_TEST_FAILED: { retryable: false, zh: '自检未通过', en: 'A self-test check failed' },
  KIOSK_NOT_ENROLLED: { retryable: false, zh: '终端未注册', en: 'This kiosk is not enrolled with the gateway' },
  KIOSK_REVOKED: { retryable: false, zh: '终端已被吊销', en: 'This kiosk has been revoked' },
  KIOSK_UNKNOWN: { retryable: false, zh: '终端不存在', en: 'No such kiosk in the configuration or on the broker' },
  // signed remote commands (gateway or operator -> kiosk), refused before anything is done
  COMMAND_UNSIGNED: { retryable: false, zh: '指令未签名', en: 'The command carries no signature or no signer certificate' },
  COMMAND_SIGNATURE_INVALID: { retryable: false, zh: '指令签名无效', en: 'The command signature does not verify' },
  COMMAND_UNTRUSTED: { retryable: false, zh: '指令签发者不受信任', en: "The command's signer is not a gateway or operator certified by the campus CA" },
  COMMAND_EXPIRED: { retryable: false, zh: '指令已过期', en: 'The command is outside its validity window' },
  COMMAND_REPLAYED: { retryable: false, zh: '指令重复', en: 'The command was already received (its nonce was seen)' },
  COMMAND_UNKNOWN: { retryable: false, zh: '未知指令', en: 'The kiosk does not know this command' },
  COMMAND_TIMEOUT: { retryable: true, zh: '终端未回复指令', en: 'The kiosk did not answer the command in time' },
  // the operator console (gateway/console/)
  CONSOLE_SIGN_IN_FAILED: { retryable: false, zh: '用户名或密码错误', en: 'Wrong user name or password' },
  CONSOLE_LOCKED: { retryable: true, zh: '登录失败次数过多，账户暂时锁定', en: 'Too many failed sign-ins: the account is locked for a while' },
  CONSOLE_SIGNED_OUT: { retryable: false, zh: '请先登录', en: 'Not signed in, or the session expired' },
  CONSOLE_FORBIDDEN: { retryable: false, zh: '无此操作权限', en: 'Your role does not allow this' },
  CONSOLE_CSRF: { retryable: true, zh: '页面已过期，请刷新', en: 'The page is stale (CSRF token missing or wrong); reload it' },
  CONSOLE_USER_UNKNOWN: { retryable: false, zh: '用户不存在', en: 'No such console user' },
  CONSOLE_USER_EXISTS: { retryable: false, zh: '用户已存在', en: 'That console user already exists' },
  CONSOLE_BAD_REQUEST: { retryable: false, zh: '请求格式错误', en: 'The request is malformed' },
  CONSOLE_UNREACHABLE: { retryable: true, zh: '前置机控制台无法连接', en: "The gateway's console cannot be reached" },
  OPERATOR_OUT_OF_SERVICE: { retryable: false, zh: '终端已由管理员暂停服务', en: 'Taken out of service by an operator' },
  // announcements (operator -> gateway -> kiosk screens)
  ANNOUNCEMENT_INVALID: { retryable: false, zh: '公告内容或发布范围无效', en: 'The announcement, its target or its schedule is not valid' },
  ANNOUNCEMENT_NOT_FOUND: { retryable: false, zh: '公告不存在', en: 'No such announcement' },
  ANNOUNCEMENT_STATE: { retryable: false, zh: '公告已撤回或已过期', en: 'The announcement was already withdrawn or has expired' },
  // the batch transfer mode (gateway/transfers/): standing orders and their runs
  TRANSFER_ORDER_INVALID: { retryable: false, zh: '代扣委托无效', en: 'The standing order is not valid (its rule, day, threshold or amount)' },
  TRANSFER_ORDER_EXISTS: { retryable: false, zh: '该账户已有代扣委托', en: 'The campus account already has a standing order: remove it first' },
  TRANSFER_ORDER_UNKNOWN: { retryable: false, zh: '代扣委托不存在', en: 'No standing order for that campus account' },
  TRANSFER_RUN_CONFLICT: { retryable: true, zh: '批量转账正在进行，请待其结束', en: 'A batch transfer run is already under way: wait for it to end' },
  TRANSFER_RUN_INTERRUPTED: { retryable: true, zh: '批量转账已随前置机停止，下次启动时继续', en: 'The batch transfer run stopped with the gateway; it resumes at its next start' },
  CARD_BALANCE_INSUFFICIENT: { retryable: false, zh: '卡内余额不足', en: 'Not enough balance on the card' },
  // fees paid from the purse to a biller (gateway/fees/)
  BILLER_UNKNOWN: { retryable: false, zh: '该缴费项目未开通', en: 'No biller with that id in the configuration' },
  BILLER_UNAVAILABLE: { retryable: true, zh: '缴费单位暂时无法连接', en: 'The biller cannot be reached' },
  BILLER_REFUSED: { retryable: false, zh: '缴费单位拒绝了本次缴费', en: 'The biller refused the payment' },
  BILLER_ACCOUNT_UNKNOWN: { retryable: false, zh: '房间号或账号不存在', en: 'No such room or account at the biller' },
  FEE_AMOUNT_INVALID: { retryable: false, zh: '缴费金额无效', en: 'The fee amount is not valid' },
  FEE_IN_DOUBT: {
    retryable: false, zh: '该卡有一笔缴费尚未确认，请重新放卡或到服务中心办理',
    en: 'A fee of this card is not decided yet: tap the card again, or visit the service centre',
  },
  FEE_REFUNDED: {
    retryable: false, zh: '缴费未成功，金额已退回卡内', en: 'The fee was not paid; the amount is back on your card',
  },
  FEE_PAYMENT_PENDING: {
    retryable: false, zh: '已从卡内扣款，缴费单位尚未确认，确认后自动到账；如缴费单位拒收，金额将在任一圈存机放卡时退回',
    en: 'Paid from your card; the biller has not confirmed yet. It completes by itself, or if the biller refuses, the amount comes back at your next tap',
  },
  FEE_REFUND_OWED: {
    retryable: false, zh: '缴费未成功，金额将退回卡内，在任一圈存机放卡即可领取',
    en: 'The fee was not paid; the amount is owed back to your card: tap it at any kiosk to collect it',
  },
} as const satisfies Record<string, { retryable: boolean; zh: string; en: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);
}

export class QuancunError extends Error {
  override readonly name = 'QuancunError';
  readonly code: ErrorCode;
  readonly retryable: boolean;
  /** Operator-facing context; never a PIN, full card number or key. */
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message?: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message ?? ERROR_CODES[code].en, options);
    this.code = code;
    this.retryable = ERROR_CODES[code].retryable;
    this.details = details;
  }

  /** The text a cardholder sees for this error. */
  cardholderMessage(lang: 'zh' | 'en'): string {
    return ERROR_CODES[this.code][lang];
  }

  toJSON(): { code: ErrorCode; message: string; details: Record<string, unknown> } {
    return { code: this.code, message: this.message, details: this.details };
  }

  static from(err: unknown): QuancunError {
    if (err instanceof QuancunError) return err;
    const message = err instanceof Error ? err.message : String(err);
    return new QuancunError('INTERNAL', message, {}, { cause: err });
  }
}
