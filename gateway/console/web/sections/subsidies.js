// 补助: the report (issued = collected + outstanding + expired, per batch and in total) and, for an operator, a CSV
// batch imported or one subsidy issued. The gateway checks every line; a refused batch names each bad line.
const COLUMNS = [
  ['issued', '发放', 'Issued'], ['collected', '已领取', 'Collected'], ['outstanding', '未领取', 'Outstanding'],
  ['held', '待卡片确认', 'Held'], ['expired', '已过期退回', 'Expired'],
];

export default {
  async render(root, { api, h, t, fmt, table, toast, can }) {
    const list = h('div');
    const tally = (x) => `${x.count} · ${fmt.money(x.amount)}`;
    const show = ({ report, batches }) => {
      const rows = [...report.batches.map((b) => ({ ...b, name: b.batchId })), { ...report.total, name: t('合计', 'Total') }];
      const files = new Map(batches.map((b) => [b.batchId, b]));
      list.replaceChildren(table([
        { label: t('批次', 'Batch'), value: (r) => h('span', { class: 'mono' }, r.name) },
        { label: t('文件', 'File'), value: (r) => files.get(r.name)?.file ?? (files.get(r.name)?.kind === 'single' ? t('单笔', 'single') : '') },
        { label: t('导入时间', 'Imported'), value: (r) => (r.importedAt ? fmt.time(r.importedAt) : '') },
        ...COLUMNS.map(([key, zh, en]) => ({ label: t(zh, en), value: (r) => tally(r[key]), num: true })),
        { label: t('平衡', 'Balanced'), value: (r) => h('span', { class: `badge ${r.balanced ? 'ok' : 'bad'}`, 'data-test': 'subsidy-balanced' }, r.balanced ? t('是', 'yes') : t('否', 'NO')) },
      ], rows, { test: 'subsidy-report', key: (r) => r.name }));
    };
    const refresh = async () => show(await api.get('subsidies'));
    const submit = (form, send) => form.addEventListener('submit', async (e) => {
      e.preventDefault();
      try {
        const { batch } = await send();
        toast(t(`已导入 ${batch.batchId}：${batch.lines} 笔`, `Imported ${batch.batchId}: ${batch.lines} lines`));
        form.reset();
        await refresh();
      } catch (err) {
        toast(`${err.code} ${err.message}`, false);
      }
    });

    root.append(h('h1', {}, t('补助', 'Subsidies')));
    if (can('operator')) {
      const file = h('input', { type: 'file', accept: '.csv,text/csv', required: true, 'data-test': 'subsidy-file' });
      const batch = h('form', { class: 'card' },
        h('h2', {}, t('导入补助批次（CSV）', 'Import a subsidy batch (CSV)')),
        h('p', { class: 'muted' }, 'account,amount,reason,period,expires'),
        file, h('button', { type: 'submit', 'data-test': 'subsidy-import' }, t('导入', 'Import')));
      submit(batch, async () => api.post('subsidies/batches', { csv: await file.files[0].text(), file: file.files[0].name }));
      const field = (name, zh, en, type = 'text') => h('label', {}, t(zh, en), h('input', { name, type, required: true, 'data-test': `subsidy-${name}` }));
      const one = h('form', { class: 'card' },
        h('h2', {}, t('发放单笔补助', 'Issue one subsidy')),
        h('div', { class: 'grid' }, field('account', '校园账户', 'Campus account'), field('amount', '金额（元）', 'Amount (yuan)'),
          field('reason', '事由', 'Reason'), field('period', '所属期间（yyyy-mm）', 'Period (yyyy-mm)'), field('expires', '最后领取日', 'Last day to collect', 'date')),
        h('button', { type: 'submit', 'data-test': 'subsidy-issue' }, t('发放', 'Issue')));
      submit(one, () => api.post('subsidies/issue', Object.fromEntries(new FormData(one))));
      root.append(batch, one);
    }
    root.append(h('h2', {}, t('补助报表', 'Subsidy report')), list);
    await refresh();
  },
};
