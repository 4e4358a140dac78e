// Fees (缴费): a search of the fees paid from purses to billers, a fee's story (the gateway's states, the biller's
// tries and answer, the transfer purse -> biller and the refund owed when the biller was not paid, the kiosks'
// reports), and the billers' health. The server masks every card; nothing here moves money.
import { facts, historyTable, postingsTable, reportsTable, searchPanel } from './transactions.js';

const STATES = ['mac1-issued', 'debited', 'paying', 'paid', 'refund-owed', 'not-debited', 'proof-failed'];
/** What each gateway state means for the money, for the story's heading. */
const MEANING = {
  'mac1-issued': ['已签发MAC1，卡片扣款未定：由卡片的脱机计数器决定（终端请持卡人重新放卡；未再放卡的请到服务中心读卡）',
    "MAC1 issued, the card's debit undecided: the card's offline counter decides (the kiosk asks for the card back; one that never came back is read at the service centre)"],
  debited: ['卡片扣款已验证，待向收费方付款', "The card's debit is verified; the biller is paid next"],
  paying: ['正在向收费方付款（每次重试使用同一付款号）', 'Paying the biller (the same payment id on every try)'],
  paid: ['收费方已收款', 'The biller was paid'],
  'refund-owed': ['收费方未收款：金额退回卡片（缴费退款），持卡人下次放卡时写入', 'The biller was not paid: the amount is owed back to the card (a fee refund), written at its next tap'],
  'not-debited': ['卡片未扣款，未发生资金变动', 'The card was not debited: nothing moved'],
  'proof-failed': ['卡片MAC2/TAC校验失败：待人工处理', "The card's MAC2 or TAC did not verify: held for an operator"],
};
const ENDED_WELL = new Set(['paid', 'not-debited']);

function columns({ h, t, fmt }) {
  return [
    { label: t('交易号', 'Transaction'), value: (s) => h('a', { href: `#/fees/${encodeURIComponent(s.txnId)}`, class: 'mono', 'data-test': 'fee-link' }, s.txnId) },
    { label: t('时间', 'Started'), value: (s) => fmt.time(s.createdAt) },
    { label: t('终端', 'Kiosk'), value: (s) => s.kioskId },
    { label: t('卡号', 'Card'), value: (s) => h('span', { class: 'mono' }, s.card) },
    { label: t('收费方', 'Biller'), value: (s) => s.billerId },
    { label: t('户号', 'Account'), value: (s) => s.account },
    { label: t('金额', 'Amount'), num: true, value: (s) => fmt.money(s.amount) },
    { label: t('状态', 'State'), value: (s) => h('span', { class: `badge ${s.final ? (ENDED_WELL.has(s.state) ? 'ok' : 'bad') : ''}`, 'data-test': 'fee-state' }, s.code ? `${s.state} ${s.code}` : s.state) },
  ];
}

function billerHealth({ h, t, fmt, table }, billers) {
  return table([
    { label: t('收费方', 'Biller'), value: (b) => `${b.id} · ${t(b.name.zh, b.name.en)}` },
    { label: t('最近调用', 'Last call'), value: (b) => (b.health.lastCall ? `${fmt.time(b.health.lastCall.at)} · ${b.health.lastCall.op} · ${b.health.lastCall.ms} ms` : t('启动以来无', 'none since start')) },
    { label: t('结果', 'Result'), value: (b) => {
      const last = b.health.lastCall;
      if (!last) return '';
      return h('span', { class: `badge ${last.answered ? 'ok' : 'bad'}`, 'data-test': 'biller-result' }, last.answered ? (last.code ?? t('正常', 'answered')) : last.code);
    } },
    { label: t('最近应答', 'Last answer'), value: (b) => fmt.time(b.health.lastAnsweredAt) },
    { label: t('连续失败', 'Failures in a row'), num: true, value: (b) => String(b.health.failuresInARow) },
    { label: t('失败/调用', 'Failures / calls'), num: true, value: (b) => `${b.health.failures} / ${b.health.calls}` },
  ], billers, { test: 'biller-health', key: (b) => b.id });
}

async function list(root, ctx) {
  const { api, h, t, on } = ctx;
  const { billers } = await api.get('fees?limit=1');
  const health = h('div');
  const { form, results, search } = searchPanel(ctx, {
    path: 'fees', test: 'fee', columns: columns(ctx),
    fields: [
      ['txnId', t('交易号', 'Transaction id')], ['card', t('卡号后四位', 'Card (last digits)'), { placeholder: '0001' }],
      ['kiosk', t('终端', 'Kiosk')], ['date', t('营业日', 'Business day'), { type: 'date' }],
    ],
    extra: [{ name: 'biller', label: t('收费方', 'Biller'), options: billers.map((b) => b.id) }],
    states: STATES,
  });
  const refresh = async () => health.replaceChildren(billerHealth(ctx, (await search()).billers));
  // A fee's state changed (and with it, perhaps, a biller's health): the page as it stands.
  on('fees.change', ctx.coalesced(refresh));
  root.append(h('h1', {}, t('缴费', 'Fees')), h('h2', {}, t('查询', 'Search')), form, results,
    h('h2', {}, t('收费方状态（自前置机启动）', 'Billers (since the gateway started)')), health);
  await refresh();
}

async function story(root, ctx, txnId) {
  const { api, h, t, fmt, table } = ctx;
  const s = await api.get(`fees/${encodeURIComponent(txnId)}`);
  const { summary, biller, refund, transfer } = s;
  const meaning = MEANING[summary.state];
  root.append(
    h('p', {}, h('a', { href: '#/fees' }, t('← 缴费', '← Fees'))),
    h('h1', { class: 'mono' }, summary.txnId),
    h('p', { 'data-test': 'fee-meaning' }, meaning ? t(...meaning) : summary.state),
    facts(ctx, [
      [t('状态', 'State'), summary.state + (summary.code ? ` (${summary.code})` : '')],
      [t('金额', 'Amount'), fmt.money(summary.amount)],
      [t('终端', 'Kiosk'), summary.kioskId], [t('卡号', 'Card'), summary.card],
      [t('收费方', 'Biller'), `${summary.billerId} · ${summary.account}`],
      [t('营业日', 'Business day'), summary.businessDay],
    ]),
    h('h2', {}, t('前置机状态', 'Gateway states')),
    historyTable(ctx, s.gateway.history, 'fee-history'),
    h('h2', {}, t('收费方调用', 'Biller calls')),
    facts(ctx, [
      [t('付款尝试', 'Payment tries'), String(biller.tries)],
      [t('尝试时间', 'Tried at'), biller.at.map((at) => fmt.time(at)).join(' · ')],
      [t('收据号', 'Receipt'), biller.receiptNo], [t('未付款原因', 'Not paid'), biller.code],
    ]),
    h('h2', {}, t('账务', 'Ledger')),
    table([
      { label: t('转账', 'Transfer'), value: (x) => `${x.from} → ${x.to}` },
      { label: t('状态', 'Status'), value: (x) => (x.undoneBy ? `${x.status} (${x.undoneBy})` : x.status) },
      { label: t('金额', 'Amount'), num: true, value: (x) => fmt.money(x.amount) },
      { label: t('账户', 'Account'), value: (x) => x.campusAccount }, { label: t('时间', 'At'), value: (x) => fmt.time(x.at) },
    ], transfer ? [transfer] : [], { test: 'fee-transfer' }),
    ...(refund ? [
      h('h2', {}, t('退款', 'Refund owed'), ' ', h('span', { class: 'mono' }, refund.id)),
      facts(ctx, [
        [t('状态', 'State'), h('span', { 'data-test': 'fee-refund-state' }, refund.state,
          refund.inDoubt ? h('span', { class: 'badge bad' }, ' ', t('待卡片计数器确认', "waiting for the card's counter")) : '')],
        [t('金额', 'Amount'), fmt.money(refund.amount)], [t('领取终端', 'Collecting kiosk'), refund.collector],
      ]),
      postingsTable(ctx, refund.posting ? [refund.posting] : [], 'fee-refund-posting'),
    ] : []),
    h('h2', {}, t('终端上报', 'Kiosk reports')),
    reportsTable(ctx, s.kiosk, 'fee-reports'),
  );
}

export default {
  async render(root, ctx) {
    if (ctx.path[0]) await story(root, ctx, ctx.path[0]);
    else await list(root, ctx);
  },
};
