// Banks: per bank its session (state, signed on since, last line check), the answer times of a day as a chart
// (p50/p99 per hour), "sign on again" and "line check now" for operators, settlement runs and recent session messages.
import { isoMessage } from './transactions.js';

function sessionFacts({ h, t, fmt }, s) {
  const check = s.lastLineCheck;
  return h('dl', { class: 'facts', 'data-test': 'bank-session', 'data-state': s.state },
    h('dt', {}, t('链路', 'Link')), h('dd', {}, h('span', { class: `badge ${s.state === 'signed-on' ? 'ok' : 'bad'}`, 'data-test': 'bank-state' }, s.state)),
    h('dt', {}, t('签到时间', 'Signed on since')), h('dd', {}, s.signedOnSince ? `${fmt.time(s.signedOnSince)} (${fmt.age(s.signedOnSince)})` : '—'),
    h('dt', {}, t('最近线路检测', 'Last line check')),
    h('dd', { 'data-test': 'bank-line-check-result' }, check ? `${fmt.time(check.at)} ${check.ok ? t('正常', 'ok') : `${t('失败', 'failed')} ${check.code ?? ''}`}` : '—'),
    h('dt', {}, t('终端号 / 批次', 'Terminal / batch')), h('dd', { class: 'mono' }, `${s.terminalId} / ${s.batch}`),
    h('dt', {}, t('报文规范', 'Profile')), h('dd', {}, s.profile));
}

async function bankPanel(ctx, bank) {
  const { api, h, t, fmt, table, button, chart, toast, on } = ctx;
  const id = encodeURIComponent(bank.bankId);
  const facts = h('div');
  const showSession = (s) => facts.replaceChildren(sessionFacts(ctx, s));
  showSession(bank);
  on('banks.session', (s) => s.bankId === bank.bankId && showSession(s));

  const date = h('input', { type: 'date', 'data-test': 'bank-answer-date' });
  const stats = h('p', { class: 'muted', 'data-test': 'bank-answer-times' });
  const plot = h('div', { 'data-test': 'bank-answer-chart' });
  const runs = h('div');
  const messages = h('div');
  const load = async () => {
    const d = await api.get(`banks/${id}${date.value ? `?date=${date.value}` : ''}`);
    showSession(d.session);
    const a = d.answerTimes;
    stats.textContent = `${a.date}: ${t('应答', 'answers')} ${a.count} · p50 ${a.p50 ?? '—'} ms · p99 ${a.p99 ?? '—'} ms`;
    plot.replaceChildren();
    chart(plot, { labels: a.hours.map((x) => x.start), series: [{ label: 'p50', values: a.hours.map((x) => x.p50) }, { label: 'p99', values: a.hours.map((x) => x.p99) }], unit: 'ms' });
    runs.replaceChildren(table([
      { label: t('批次', 'Batch'), value: (r) => String(r.batch).padStart(6, '0') },
      { label: t('结算时间', 'Closed'), value: (r) => fmt.time(r.closedAt) },
      { label: t('笔数', 'Loads'), num: true, value: (r) => String(r.totals.debitCount) },
      { label: t('借记金额', 'Debits'), num: true, value: (r) => fmt.money(r.totals.debitAmount) },
      { label: t('结果', 'Result'), value: (r) => h('span', { class: `badge ${r.balanced === true ? 'ok' : r.balanced === false ? 'bad' : ''}` },
        r.balanced === true ? t('平账', 'balanced') : r.balanced === false ? t('不平，已上送明细', 'not balanced, batch uploaded') : t('进行中', 'in progress')) },
    ], d.settlements, { test: 'bank-settlements', key: (r) => r.id }));
    messages.replaceChildren(...d.messages.map((m) => isoMessage(ctx, m)));
  };
  date.addEventListener('change', () => load().catch((err) => toast(`${err.code ?? ''} ${err.message}`, false)));

  const signOn = button(t('重新签到', 'Sign on again'), async () => {
    const { session } = await api.post(`banks/${id}/sign-on`, {});
    showSession(session);
    toast(t('已签到', 'Signed on'));
  }, { role: 'operator', test: 'bank-sign-on' });
  const lineCheck = button(t('立即线路检测', 'Line check now'), async () => {
    const { lineCheck: c } = await api.post(`banks/${id}/line-check`, {});
    toast(c.ok ? t('线路正常', 'Line check ok') : `${t('线路检测失败', 'Line check failed')} ${c.code ?? ''}`, c.ok);
    await load();
  }, { role: 'operator', test: 'bank-line-check' });

  const panel = h('section', { class: 'card', 'data-test': 'bank', 'data-bank': bank.bankId },
    h('h2', {}, bank.bankId), facts, h('div', { class: 'actions' }, signOn ?? '', lineCheck ?? ''),
    h('h3', {}, t('应答时间', 'Answer times')), h('label', {}, t('营业日', 'Business day'), date), stats, plot,
    h('h3', {}, t('结算', 'Settlement runs')), runs,
    h('details', {}, h('summary', {}, t('最近报文', 'Recent messages')), messages));
  await load();
  return panel;
}

export default {
  async render(root, ctx) {
    const { banks } = await ctx.api.get('banks');
    root.append(ctx.h('h1', {}, ctx.t('银行', 'Banks')));
    for (const bank of banks) root.append(await bankPanel(ctx, bank));
  },
};
