// Transactions: a live monitor of load states as the gateway writes them, a search, and one load's story with the
// ISO 8583 messages decoded field by field (the server masks the card number and never sends the PIN block).
const STATES = ['received', 'bank-pending', 'approved', 'mac2-issued', 'completed', 'pending-load', 'reversing', 'reversed', 'declined', 'rejected', 'tac-failed'];

function summaryColumns({ h, t, fmt }) {
  return [
    { label: t('交易号', 'Transaction'), value: (s) => h('a', { href: `#/transactions/${encodeURIComponent(s.txnId)}`, class: 'mono', 'data-test': 'txn-link' }, s.txnId) },
    { label: t('时间', 'Started'), value: (s) => fmt.time(s.createdAt) },
    { label: t('终端', 'Kiosk'), value: (s) => (s.collector ? `${s.kioskId} → ${s.collector}` : s.kioskId) },
    { label: t('卡号', 'Card'), value: (s) => h('span', { class: 'mono' }, s.card) },
    { label: t('银行账户', 'Bank account'), value: (s) => h('span', { class: 'mono' }, s.bankAccount ?? '') },
    { label: t('金额', 'Amount'), num: true, value: (s) => fmt.money(s.amount) },
    { label: 'STAN', value: (s) => (s.stan === undefined ? '' : String(s.stan).padStart(6, '0')) },
    { label: t('状态', 'State'), value: (s) => h('span', { class: `badge ${s.final ? (s.state === 'completed' || s.state === 'reversed' ? 'ok' : 'bad') : ''}` }, s.code ? `${s.state} ${s.code}` : s.state) },
  ];
}

/**
 * A search form (`fields`: [name, label, input attributes]; a state choice of `states`) over `GET /api/<path>`, its
 * results a page at a time in `columns`; data-test names start with `test` (`txn-card`, `txn-search-submit`, `txn-table`…).
 * Shared with the fees page.
 */
export function searchPanel(ctx, { path, test, columns, fields, states, extra = [] }) {
  const { api, h, t, table } = ctx;
  const inputs = fields.map(([name, label, attrs = {}]) => {
    const el = h('input', { name, 'data-test': `${test}-${name}`, ...attrs });
    return { name, el, label: h('label', {}, label, el) };
  });
  const choices = [...extra, { name: 'state', label: t('状态', 'State'), options: states }].map(({ name, label, options }) => {
    const el = h('select', { name, 'data-test': `${test}-${name}` }, h('option', { value: '' }, t('全部', 'All')), options.map((o) => h('option', { value: o }, o)));
    return { name, el, label: h('label', {}, label, el) };
  });
  const controls = [...inputs, ...choices];
  let offset = 0;
  const limit = 50;
  const results = h('div', { 'data-test': `${test}-results` });
  const search = async () => {
    const q = [...controls.map((c) => [c.name, c.el.value]), ['offset', offset], ['limit', limit]].filter(([, v]) => v !== '');
    const page = await api.get(`${path}?${new URLSearchParams(q.map(([k, v]) => [k, String(v)]))}`);
    const pager = h('p', { class: 'muted' }, t(`共 ${page.total} 笔`, `${page.total} found`), ' ',
      offset > 0 ? ctx.button(t('上一页', 'Previous'), () => { offset = Math.max(0, offset - limit); return search(); }, { secondary: true, test: `${test}-prev` }) : '',
      offset + limit < page.total ? ctx.button(t('下一页', 'Next'), () => { offset += limit; return search(); }, { secondary: true, test: `${test}-next` }) : '');
    results.replaceChildren(table(columns, page.items, { test: `${test}-table`, key: (s) => s.txnId }), pager);
    return page;
  };
  const form = h('form', { class: 'inline', 'data-test': `${test}-search` }, controls.map((c) => c.label),
    h('button', { type: 'submit', 'data-test': `${test}-search-submit` }, t('查询', 'Search')));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    offset = 0;
    search().catch((err) => ctx.toast(`${err.code ?? ''} ${err.message}`, false));
  });
  return { form, results, search };
}

async function list(root, ctx) {
  const { h, t, table, on } = ctx;
  const columns = summaryColumns(ctx);
  const recent = [];
  const monitor = h('div', { 'data-test': 'txn-monitor' });
  const drawMonitor = () => monitor.replaceChildren(table(columns, recent, { test: 'txn-monitor-table', key: (s) => s.txnId }));
  on('transactions.change', (s) => {
    const at = recent.findIndex((r) => r.txnId === s.txnId);
    if (at >= 0) recent.splice(at, 1);
    recent.unshift(s);
    recent.length = Math.min(recent.length, 20);
    drawMonitor();
  });
  drawMonitor();

  const { form, results, search } = searchPanel(ctx, {
    path: 'transactions', test: 'txn', columns,
    fields: [
      ['txnId', t('交易号', 'Transaction id')], ['card', t('卡号后四位', 'Card (last digits)'), { placeholder: '0018' }], ['stan', 'STAN'],
      ['kiosk', t('终端', 'Kiosk')], ['date', t('营业日', 'Business day'), { type: 'date' }],
    ],
    states: STATES,
  });
  root.append(h('h1', {}, t('交易', 'Transactions')), h('h2', {}, t('实时', 'Live')), monitor, h('h2', {}, t('查询', 'Search')), form, results);
  await search();
}

// Shared with the banks page (its recent session messages).
export function isoMessage(ctx, m) {
  const { h, t, fmt, table } = ctx;
  const title = `${m.direction === 'sent' ? '→' : '←'} ${m.mti} ${m.op ?? t('未知', 'unknown')}${m.kind ? ` ${m.kind}` : ''}`;
  const value = (f) => h('span', { class: f.hidden ? 'mono muted' : 'mono', 'data-hidden': f.hidden }, f.value,
    f.subfields ? h('div', { class: 'muted' }, f.subfields.map((s) => `${s.name} ${s.value}`).join(' · ')) : '');
  return h('section', { class: 'iso-message', 'data-test': 'iso-message', 'data-mti': m.mti },
    h('h3', {}, title, ' ', h('span', { class: 'muted' }, fmt.time(m.at), m.answerMs !== undefined ? ` · ${m.answerMs} ms` : '')),
    table([
      { label: t('域', 'Field'), num: true, value: (f) => String(f.no) },
      { label: t('名称', 'Name'), value: (f) => f.name },
      { label: t('值', 'Value'), value },
    ], m.fields, { test: 'iso-fields', key: (f) => String(f.no) }));
}

// The parts of a story, shared with the fees page (a fee's story).

/** Label/value pairs; empty values are left out. */
export function facts({ h }, pairs) {
  return h('dl', { class: 'facts' }, pairs.filter(([, v]) => v !== undefined && v !== '').flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

/** The gateway's journaled states with their times. */
export function historyTable({ t, fmt, table }, history, test) {
  return table([{ label: t('状态', 'State'), value: (e) => e.state }, { label: t('时间', 'At'), value: (e) => fmt.time(e.at) }], history, { test });
}

/** What the kiosks reported: the outcome, and each collect of what it left owed. */
export function reportsTable({ t, fmt, table }, reports, test) {
  return table([
    { label: t('终端', 'Kiosk'), value: (r) => r.kioskId },
    { label: t('类型', 'Kind'), value: (r) => r.event.kind },
    { label: t('状态', 'State'), value: (r) => (r.event.code ? `${r.event.state} ${r.event.code}` : r.event.state) },
    { label: t('终端时间', 'At kiosk'), value: (r) => fmt.time(r.event.at) },
    { label: t('收到', 'Received'), value: (r) => fmt.time(r.receivedAt) },
  ], reports, { test });
}

/** Ledger postings (a load's, a credit's) as they stand. */
export function postingsTable({ t, fmt, table }, postings, test) {
  return table([
    { label: t('状态', 'Status'), value: (p) => p.status }, { label: t('金额', 'Amount'), num: true, value: (p) => fmt.money(p.amount) },
    { label: t('账户', 'Account'), value: (p) => p.campusAccount }, { label: t('时间', 'At'), value: (p) => fmt.time(p.at) },
  ], postings, { test });
}

async function story(root, ctx, txnId) {
  const { api, h, t, fmt } = ctx;
  const s = await api.get(`transactions/${encodeURIComponent(txnId)}`);
  const dl = (pairs) => facts(ctx, pairs);
  root.append(
    h('p', {}, h('a', { href: '#/transactions' }, t('← 交易', '← Transactions'))),
    h('h1', { class: 'mono' }, s.summary.txnId),
    dl([
      [t('状态', 'State'), s.summary.state + (s.summary.code ? ` (${s.summary.code})` : '')],
      [t('金额', 'Amount'), fmt.money(s.summary.amount)],
      [t('终端', 'Kiosk'), s.summary.collector ? `${s.summary.kioskId} → ${s.summary.collector}` : s.summary.kioskId],
      [t('卡号', 'Card'), s.summary.card], [t('银行账户', 'Bank account'), s.summary.bankAccount], [t('银行', 'Bank'), s.summary.bankId],
      ['STAN', s.summary.stan === undefined ? undefined : String(s.summary.stan).padStart(6, '0')], [t('银行参考号', 'Bank reference'), s.summary.bankRef],
      [t('冲正原因', 'Reversal reason'), s.gateway.reversalReason], [t('冲正结果', 'Reversal answer'), s.gateway.reversalAnswer],
      [t('结算批次', 'Settlement batch'), s.settlement ? `${s.settlement.batch} (${s.settlement.state})` : undefined],
    ]),
    h('h2', {}, t('前置机状态', 'Gateway states')),
    historyTable(ctx, s.gateway.history, 'txn-history'),
    h('h2', {}, t('终端上报', 'Kiosk reports')),
    reportsTable(ctx, s.kiosk, 'txn-reports'),
    h('h2', {}, t('账务', 'Ledger posting')),
    postingsTable(ctx, s.posting ? [s.posting] : [], 'txn-posting'),
    h('h2', {}, t('银行报文 (ISO 8583)', 'Bank messages (ISO 8583)')),
    s.bank.length ? h('div', { 'data-test': 'iso-messages' }, s.bank.map((m) => isoMessage(ctx, m))) : h('p', { class: 'muted' }, t('无', 'None')),
  );
}

export default {
  async render(root, ctx) {
    if (ctx.path[0]) await story(root, ctx, ctx.path[0]);
    else await list(root, ctx);
  },
};
