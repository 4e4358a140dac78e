// Batch transfers (后台批量转账): the standing orders, the runs with what each sent and how the banks answered, one
// run's transfers, and for an operator "start a run now" (the server refuses a second while one is under way). The
// page follows a run's states live.
const RUN_STATES = { planning: ['计划中', 'planning'], sending: ['发送中', 'sending'], done: ['已完成', 'done'] };

function rule({ t, fmt }, r) {
  return r.kind === 'monthly'
    ? t(`每月${r.day}日`, `monthly, day ${r.day}`)
    : t(`余额低于 ${fmt.money(r.threshold)} 时`, `when the balance is below ${fmt.money(r.threshold)}`);
}

function runColumns({ h, t, fmt }) {
  const n = (key, zh, en, value) => ({ label: t(zh, en), num: true, value: (r) => h('span', { 'data-test': `run-${key}` }, value(r)) });
  return [
    { label: t('批次', 'Run'), value: (r) => h('a', { href: `#/transfers/${encodeURIComponent(r.id)}`, class: 'mono', 'data-test': 'run-link' }, r.id) },
    { label: t('开始', 'Started'), value: (r) => fmt.time(r.startedAt) },
    { label: t('发起', 'By'), value: (r) => r.by },
    { label: t('状态', 'State'), value: (r) => h('span', { class: `badge ${r.state === 'done' ? 'ok' : ''}`, 'data-test': 'run-state' }, t(...RUN_STATES[r.state])) },
    n('planned', '计划', 'Planned', (r) => String(r.summary.planned)),
    n('sent', '已发送', 'Sent', (r) => String(r.sent)),
    n('approved', '成功', 'Approved', (r) => `${r.summary.approved.count} · ${fmt.money(r.summary.approved.amount)}`),
    n('declined', '拒绝', 'Declined', (r) => String(r.summary.declined)),
    n('uncertain', '结果未知（冲正中）', 'Uncertain (reversing)', (r) => String(r.summary.reversing)),
    n('reversed', '已冲正', 'Reversed', (r) => String(r.summary.reversed)),
    n('not-sent', '未发送', 'Not sent', (r) => String(r.summary.notSent)),
    { label: t('结束', 'Ended'), value: (r) => fmt.time(r.endedAt) },
  ];
}

async function overview(root, ctx) {
  const { api, h, t, fmt, table, button, toast, on, coalesced } = ctx;
  const body = h('div');
  const show = ({ orders, runs, running, runAt }) => body.replaceChildren(
    h('p', { class: 'muted', 'data-test': 'transfer-schedule' }, runAt
      ? t(`每日 ${runAt}（校园时间）自动运行`, `Runs by itself daily at ${runAt} (campus time)`)
      : t('未设置自动运行（transfers.runAt）', 'No daily run configured (transfers.runAt)'),
    running ? h('span', { class: 'badge', 'data-test': 'transfer-running' }, ' ', t('正在运行', 'a run is under way')) : ''),
    button(t('立即运行', 'Start a run now'), async () => {
      await api.post('transfers/runs');
      toast(t('批量转账已开始', 'The batch transfer run started'));
      await refresh();
    }, { role: 'operator', test: 'transfer-run' }),
    h('h2', {}, t('运行记录', 'Runs')),
    table(runColumns(ctx), runs, { test: 'transfer-runs', key: (r) => r.id }),
    h('h2', {}, t('代扣委托', 'Standing orders'), ' ', h('span', { class: 'muted' }, String(orders.length))),
    table([
      { label: t('校园账户', 'Campus account'), value: (o) => o.campusAccount },
      { label: t('卡号', 'Card'), value: (o) => h('span', { class: 'mono' }, o.card) },
      { label: t('类型', 'Kind'), value: (o) => rule(ctx, o.rule) },
      { label: t('金额', 'Amount'), num: true, value: (o) => fmt.money(o.amount) },
      { label: t('银行', 'Bank'), value: (o) => o.bankId },
      { label: t('银行账户', 'Bank account'), value: (o) => h('span', { class: 'mono' }, o.bankAccount) },
      { label: t('设立', 'Since'), value: (o) => fmt.time(o.createdAt) },
    ], orders, { test: 'transfer-orders', key: (o) => o.campusAccount }),
    h('p', { class: 'muted' }, t('代扣委托由 quancun transfer order add|remove 在前置机停止时维护。', 'Standing orders are kept with quancun transfer order add|remove while the gateway is stopped.')),
  );
  const refresh = async () => show(await api.get('transfers'));
  root.append(h('h1', {}, t('批量转账', 'Batch transfers')), body);
  on('transfers.run', coalesced(refresh));
  await refresh();
}

async function run(root, ctx, id) {
  const { api, h, t, fmt, table, on, coalesced } = ctx;
  const body = h('div');
  const show = ({ run: r, transfers }) => body.replaceChildren(
    table(runColumns(ctx), [r], { test: 'transfer-run-summary', key: (x) => x.id }),
    h('h2', {}, t('转账', 'Transfers')),
    table([
      { label: t('编号', 'Id'), value: (x) => h('span', { class: 'mono' }, x.id) },
      { label: t('校园账户', 'Campus account'), value: (x) => x.campusAccount },
      { label: t('卡号', 'Card'), value: (x) => h('span', { class: 'mono' }, x.card) },
      { label: t('规则', 'Rule'), value: (x) => `${x.rule} · ${x.period}` },
      { label: t('金额', 'Amount'), num: true, value: (x) => fmt.money(x.amount) },
      { label: t('银行', 'Bank'), value: (x) => x.bankId },
      { label: 'STAN', value: (x) => (x.stan === undefined ? '' : String(x.stan).padStart(6, '0')) },
      { label: t('状态', 'State'), value: (x) => h('span', { 'data-test': 'transfer-state' }, [x.state, x.code, x.responseCode].filter(Boolean).join(' ')) },
      { label: t('银行参考号', 'Bank reference'), value: (x) => x.bankRef ?? '' },
    ], transfers, { test: 'transfer-list', key: (x) => x.id }),
  );
  const refresh = async () => show(await api.get(`transfers/runs/${encodeURIComponent(id)}`));
  root.append(h('p', {}, h('a', { href: '#/transfers' }, t('← 批量转账', '← Batch transfers'))), h('h1', { class: 'mono' }, id), body);
  on('transfers.run', coalesced(refresh));
  await refresh();
}

export default {
  async render(root, ctx) {
    if (ctx.path[0]) await run(root, ctx, ctx.path[0]);
    else await overview(root, ctx);
  },
};
