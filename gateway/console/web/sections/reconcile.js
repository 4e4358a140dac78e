// Reconciliation (对账) while the gateway runs: runs kept, a run started for a bank and a day, a run's differences by
// class with what a person may record for each (operator, with a note), and its CSV and JSON reports.
const CLASSES = [
  ['bank-only', '银行有、校园无', 'Bank only'],
  ['campus-only', '校园有、银行无', 'Campus only'],
  ['amount-mismatch', '金额不符', 'Amount mismatch'],
  ['pending-load', '圈存未领', 'Pending load'],
  ['reversal-unconfirmed', '冲正未确认', 'Reversal unconfirmed'],
  ['card-credited-without-final-posting', '卡已入账未终记账', 'Card credited, no final posting'],
];

export default {
  async render(root, ctx) {
    if (ctx.path[0]) await runPage(root, ctx, ctx.path[0]);
    else await listPage(root, ctx);
  },
};

const state = (h, t, run) => h('span', { class: `badge ${run.state === 'finished' ? (run.summary?.open ? 'warn' : 'ok') : run.state === 'running' ? '' : 'bad'}`, 'data-test': 'recon-state' },
  run.state === 'finished' ? t(`差异 ${run.summary.open} 未处理 / ${run.summary.resolved} 已处理`, `${run.summary.open} open / ${run.summary.resolved} resolved`) : run.state);

async function listPage(root, { api, h, t, fmt, table, button, toast, on }) {
  const { banks, today } = await api.get('reconcile');
  const bank = h('select', { 'data-test': 'recon-bank' }, banks.map((b) => h('option', { value: b }, b)));
  const date = h('input', { type: 'date', value: today, 'data-test': 'recon-date' });
  const list = h('div');
  const show = async () => {
    const { runs } = await api.get('reconcile');
    list.replaceChildren(table([
      { label: t('批次', 'Run'), value: (r) => h('a', { href: `#/reconcile/${encodeURIComponent(r.id)}`, class: 'mono', 'data-test': 'recon-run-link' }, r.id) },
      { label: t('银行', 'Bank'), value: (r) => r.bankId },
      { label: t('日期', 'Day'), value: (r) => r.date },
      { label: t('发起人', 'By'), value: (r) => r.by },
      { label: t('开始', 'Started'), value: (r) => fmt.time(r.startedAt) },
      { label: t('结束', 'Finished'), value: (r) => fmt.time(r.finishedAt) },
      { label: t('结果', 'Result'), value: (r) => (r.error ? h('span', { class: 'badge bad', title: r.error.message }, r.error.code) : state(h, t, r)) },
    ], runs, { test: 'recon-runs', key: (r) => r.id }));
  };
  const start = button(t('开始对账', 'Start a run'), async () => {
    toast(t('对账进行中…', 'Reconciling…'));
    const run = await api.post('reconcile/runs', { bankId: bank.value, date: date.value });
    location.hash = `#/reconcile/${encodeURIComponent(run.id)}`;
  }, { role: 'operator', test: 'recon-start' });
  root.append(h('h1', {}, t('对账', 'Reconciliation')),
    h('form', { class: 'inline', onsubmit: (e) => e.preventDefault() }, h('label', {}, t('银行', 'Bank'), bank), h('label', {}, t('日期', 'Day'), date), start), list);
  on('reconcile.run', show);
  await show();
}

async function runPage(root, { api, h, t, fmt, table, button, toast, on, can }, id) {
  const body = h('div');
  const show = (run) => {
    const differences = run.summary?.differences ?? [];
    const resolveForm = (d) => {
      if (!d.resolutions.length || !can('operator')) return '';
      const choice = h('select', { 'data-test': 'recon-resolution' }, d.resolutions.map((r) => h('option', { value: r.id }, t(r.zh, r.en))));
      const note = h('input', { placeholder: t('说明（必填）', 'Note (required)'), 'data-test': 'recon-note', size: 30 });
      return h('form', { class: 'inline', onsubmit: (e) => e.preventDefault() }, choice, note, button(t('处理', 'Resolve'), async () => {
        if (!note.value.trim()) return toast(t('请填写说明', 'A note is required'), false);
        show(await api.post(`reconcile/runs/${encodeURIComponent(run.id)}/differences/${d.stan}/resolve`, { resolution: choice.value, note: note.value }));
        toast(t('已处理', 'Resolved'));
      }, { role: 'operator', test: 'recon-resolve' }));
    };
    const columns = [
      { label: 'STAN', value: (d) => h('span', { class: 'mono' }, String(d.stan).padStart(6, '0')) },
      { label: t('交易', 'Transaction'), value: (d) => (d.txnId ? h('a', { href: `#/transactions/${encodeURIComponent(d.txnId)}`, class: 'mono' }, d.txnId) : '') },
      { label: t('校园金额', 'Campus'), value: (d) => fmt.money(d.campusAmount), num: true },
      { label: t('银行金额', 'Bank'), value: (d) => fmt.money(d.bankAmount), num: true },
      { label: t('状态', 'States'), value: (d) => h('span', { class: 'mono' }, [d.gatewayState, d.kioskState, d.posting].map((s) => s ?? '-').join(' / ')) },
      { label: t('结果', 'Status'), value: (d) => h('span', { class: `badge ${d.status === 'open' ? 'warn' : 'ok'}`, 'data-test': 'recon-status' }, d.status) },
      { label: t('处理', 'Action'), value: (d) => [h('div', {}, d.action), resolveForm(d)] },
    ];
    const byClass = CLASSES.filter(([c]) => differences.some((d) => d.class === c)).flatMap(([c, zh, en]) => [
      h('h2', {}, t(zh, en), ' ', h('span', { class: 'muted mono' }, c)),
      table(columns, differences.filter((d) => d.class === c), { test: `recon-class-${c}`, key: (d) => String(d.stan) }),
    ]);
    const downloads = run.summary ? [
      h('a', { href: api.href(`reconcile/runs/${encodeURIComponent(run.id)}/report.csv`), 'data-test': 'recon-csv' }, t('下载 CSV', 'Download CSV')), ' ',
      h('a', { href: api.href(`reconcile/runs/${encodeURIComponent(run.id)}/report.json`), 'data-test': 'recon-json' }, t('下载 JSON', 'Download JSON')),
    ] : [];
    body.replaceChildren(
      h('p', {}, h('a', { href: '#/reconcile' }, t('← 全部批次', '← All runs'))),
      h('h1', {}, t('对账', 'Reconciliation'), ' ', h('span', { class: 'mono' }, run.id), ' ', state(h, t, run)),
      h('p', { class: 'muted' }, `${run.bankId} ${run.date} · ${t('发起人', 'by')} ${run.by} · ${fmt.time(run.startedAt)}`,
        run.summary ? ` · ${t(`银行 ${run.summary.compared.bankLines} 笔，校园 ${run.summary.compared.campusLoads} 笔`, `${run.summary.compared.bankLines} bank lines, ${run.summary.compared.campusLoads} campus loads`)}` : ''),
      run.error ? h('p', { class: 'badge bad' }, `${run.error.code}: ${run.error.message}`) : '',
      h('p', {}, downloads),
      differences.length || !run.summary ? '' : h('p', { 'data-test': 'recon-clean' }, t('无差异', 'No differences')),
      ...byClass,
    );
  };
  root.append(body);
  on('reconcile.run', async (run) => { if (run.id === id) show(await api.get(`reconcile/runs/${encodeURIComponent(id)}`)); });
  show(await api.get(`reconcile/runs/${encodeURIComponent(id)}`));
}
