// The fleet (设备): every kiosk with its state, faults, last telemetry, version and loads today, updated live; a
// kiosk's page with its telemetry over time, its recent loads, and the remote commands an operator may send.
const MODE = {
  'in-service': ['服务中', 'In service', 'ok'],
  'out-of-service': ['暂停服务', 'Out of service', 'bad'],
  maintenance: ['维护中', 'Maintenance', 'warn'],
  starting: ['启动中', 'Starting', 'warn'],
  offline: ['离线', 'Offline', 'bad'],
};

function online(ctx, k) {
  const { h, t } = ctx;
  return h('span', { class: `badge ${k.online ? 'ok' : 'bad'}`, 'data-test': 'kiosk-online', 'data-state': k.online ? 'online' : 'offline' },
    k.online ? t('在线', 'online') : t('离线', 'offline'));
}

function mode(ctx, k) {
  const { h, t } = ctx;
  if (!k.mode) return h('span', { class: 'muted' }, t('未见', 'never seen'));
  const [zh, en, tone] = MODE[k.mode] ?? [k.mode, k.mode, ''];
  return h('span', {},
    h('span', { class: `badge ${tone}`, 'data-test': 'kiosk-mode', 'data-mode': k.mode }, t(zh, en)),
    k.reason ? h('span', { class: 'mono muted' }, ` ${k.reason}`) : null,
    k.note ? h('div', { class: 'muted', 'data-test': 'kiosk-note' }, k.note) : null);
}

function faults(ctx, k) {
  const { h, t } = ctx;
  if (k.faults.length === 0) return h('span', { class: 'badge ok', 'data-test': 'kiosk-faults' }, t('无', 'none'));
  return h('span', { 'data-test': 'kiosk-faults' }, k.faults.map((f) =>
    h('span', { class: 'badge bad', title: f.message ?? '' }, `${f.device}: ${f.code}`), ' '));
}

function lastTelemetry(ctx, k) {
  const { h, t, fmt } = ctx;
  const tm = k.telemetry;
  if (!tm) return h('span', { class: 'muted' }, t('暂无', 'none yet'));
  const paper = { ok: t('纸正常', 'paper ok'), 'near-end': t('纸将尽', 'paper low'), out: t('缺纸', 'paper out'), unknown: t('打印机无应答', 'printer silent'), 'no-printer': t('无打印机', 'no printer') }[tm.paper];
  return h('span', { 'data-test': 'kiosk-telemetry' },
    h('span', { title: fmt.time(tm.at) }, t(`${fmt.age(tm.at)}前`, `${fmt.age(tm.at)} ago`)),
    h('div', { class: 'muted' }, [paper, t(`门${tm.door === 'open' ? '开' : tm.door === 'closed' ? '关' : '未知'}`, `door ${tm.door}`),
      tm.temperatureC === undefined ? null : `${tm.temperatureC.toFixed(1)} °C`, t(`待发 ${tm.outboxDepth}`, `outbox ${tm.outboxDepth}`)].filter(Boolean).join(' · ')));
}

const today = (ctx, k) => ctx.h('span', { 'data-test': 'kiosk-today' }, `${k.today.count} · ${ctx.fmt.money(k.today.amount)}`);

function linkBanner(ctx, connected) {
  const { h, t } = ctx;
  return connected ? h('span', { 'data-test': 'fleet-link' }) : h('p', { class: 'card error', 'data-test': 'fleet-link' },
    t('前置机与消息服务器断开：以下状态可能已过时。', 'The gateway is not connected to the broker: the states below may be out of date.'));
}

async function renderList(root, ctx) {
  const { api, h, t, table, on } = ctx;
  const { brokerConnected, kiosks } = await api.get('fleet/kiosks');
  const byId = new Map(kiosks.map((k) => [k.id, k]));
  let banner = linkBanner(ctx, brokerConnected);
  const list = h('div');
  const show = () => list.replaceChildren(table([
    { label: t('终端', 'Kiosk'), value: (k) => h('a', { href: `#/fleet/${encodeURIComponent(k.id)}`, 'data-test': 'kiosk-link' }, k.id) },
    { label: t('连接', 'Link'), value: (k) => online(ctx, k) },
    { label: t('模式', 'Mode'), value: (k) => mode(ctx, k) },
    { label: t('故障', 'Faults'), value: (k) => faults(ctx, k) },
    { label: t('最近遥测', 'Last telemetry'), value: (k) => lastTelemetry(ctx, k) },
    { label: t('版本', 'Version'), value: (k) => k.version ?? '' },
    { label: t('今日圈存', 'Loads today'), num: true, value: (k) => today(ctx, k) },
  ], [...byId.values()].sort((a, b) => a.id.localeCompare(b.id)), { test: 'fleet-table', key: (k) => k.id }));
  root.append(h('h1', {}, t('设备', 'Fleet')), banner, list);
  show();
  on('fleet.kiosk', (k) => {
    byId.set(k.id, k);
    show();
  });
  on('fleet.link', ({ brokerConnected: up }) => {
    const next = linkBanner(ctx, up);
    banner.replaceWith(next);
    banner = next;
  });
}

/** The kiosk page's charts: memory, event-loop delay, temperature, and what waits on the kiosk. */
const CHARTS = [
  { title: ['内存 (MB)', 'Memory (MB)'], unit: 'MB', series: [['rssBytes', '常驻内存', 'RSS'], ['heapUsedBytes', '堆', 'heap used']], scale: 1 / 1048576 },
  { title: ['事件循环延迟 p99 (ms)', 'Event-loop delay p99 (ms)'], unit: 'ms', series: [['eventLoopP99Ms', 'p99', 'p99']], scale: 1 },
  { title: ['主板温度 (°C)', 'Board temperature (°C)'], unit: '°C', series: [['temperatureC', '温度', 'temperature']], scale: 1 },
  { title: ['待处理', 'Waiting on the kiosk'], unit: '', series: [['outboxDepth', '待发报告', 'outbox'], ['openRecords', '未完成交易', 'open records']], scale: 1 },
];

const pointOf = (tm) => ({
  at: Math.floor(Date.parse(tm.at) / 1000), rssBytes: tm.memory.rssBytes, heapUsedBytes: tm.memory.heapUsedBytes,
  eventLoopP99Ms: tm.eventLoopDelayMs.p99, temperatureC: tm.temperatureC ?? null, outboxDepth: tm.outboxDepth, openRecords: tm.journal.openRecords,
});

function commandResult(ctx, c) {
  const { h, t, fmt } = ctx;
  const tone = c.status === 'done' ? 'ok' : c.status === 'waiting' ? 'warn' : 'bad';
  const why = c.error ? `${c.error.code}: ${c.error.message}` : c.result?.error ? `${c.result.error.code}: ${c.result.error.message}`
    : c.status === 'waiting' ? (c.result?.reason ?? t('等待终端', 'waiting for the kiosk')) : c.result?.data ? JSON.stringify(c.result.data) : '';
  return [fmt.time(c.sentAt), h('span', { class: `badge ${tone}`, 'data-status': c.status }, c.status), h('span', { class: 'mono' }, why)];
}

async function renderKiosk(root, ctx, id) {
  const { api, h, t, fmt, table, button, on, chart, toast, can } = ctx;
  const data = await api.get(`fleet/kiosks/${encodeURIComponent(id)}`);
  let kiosk = data.kiosk;
  const history = data.history;
  let commands = data.commands;

  const status = h('div', { class: 'card', 'data-test': 'kiosk-status' });
  const showStatus = () => status.replaceChildren(h('div', { class: 'grid' },
    h('div', {}, h('div', { class: 'muted' }, t('连接', 'Link')), online(ctx, kiosk), kiosk.since ? h('div', { class: 'muted' }, t(`自 ${fmt.time(kiosk.since)}`, `since ${fmt.time(kiosk.since)}`)) : null),
    h('div', {}, h('div', { class: 'muted' }, t('模式', 'Mode')), mode(ctx, kiosk)),
    h('div', {}, h('div', { class: 'muted' }, t('故障', 'Faults')), faults(ctx, kiosk)),
    h('div', {}, h('div', { class: 'muted' }, t('最近遥测', 'Last telemetry')), lastTelemetry(ctx, kiosk)),
    h('div', {}, h('div', { class: 'muted' }, t('版本', 'Version')), kiosk.version ?? ''),
    h('div', {}, h('div', { class: 'muted' }, t(`今日圈存 (${kiosk.today.date})`, `Loads today (${kiosk.today.date})`)), today(ctx, kiosk))));

  const lastResult = h('div', { 'data-test': 'command-result' });
  const send = async (body) => {
    lastResult.replaceChildren(h('span', { class: 'badge warn' }, t('已发送，等待终端回复…', 'sent, waiting for the kiosk…')));
    try {
      const { result } = await api.post(`fleet/kiosks/${encodeURIComponent(id)}/command`, body);
      lastResult.replaceChildren(h('span', { class: 'badge ok', 'data-status': 'done' }, `${body.command}: done`), ' ',
        h('span', { class: 'mono' }, JSON.stringify(result.data ?? {})));
      toast(t(`${body.command} 已完成`, `${body.command} done`));
    } catch (err) {
      lastResult.replaceChildren(h('span', { class: 'badge bad', 'data-status': 'error' }, `${body.command}: ${err.code}`), ' ', h('span', { class: 'mono' }, err.message));
      throw err;
    }
  };
  const reason = h('input', { name: 'reason', maxlength: 200, placeholder: t('原因（显示在终端屏幕上）', 'reason (shown on the kiosk screen)'), 'data-test': 'oos-reason' });
  const controls = can('operator') ? h('div', { class: 'card', 'data-test': 'kiosk-commands-panel' },
    h('form', { class: 'inline' },
      h('label', {}, t('暂停服务原因', 'Out-of-service reason'), reason),
      button(t('暂停服务', 'Out of service'), async () => {
        if (!reason.value.trim()) throw Object.assign(new Error(t('请填写原因', 'a reason is needed')), { code: 'CONSOLE_BAD_REQUEST' });
        await send({ command: 'out-of-service', reason: reason.value.trim() });
      }, { role: 'operator', danger: true, test: 'cmd-out-of-service' }),
      button(t('恢复服务', 'In service'), () => send({ command: 'in-service' }), { role: 'operator', test: 'cmd-in-service' }),
      button(t('重启', 'Restart'), async () => {
        if (ctx.confirm(t(`重启终端 ${id}？进行中的交易会先结束。`, `Restart kiosk ${id}? A transaction in progress ends first.`))) await send({ command: 'restart' });
      }, { role: 'operator', danger: true, test: 'cmd-restart' }),
      button(t('重新同步', 'Resync'), () => send({ command: 'resync' }), { role: 'operator', secondary: true, test: 'cmd-resync' }),
      button(t('打印测试页', 'Test print'), () => send({ command: 'print-test' }), { role: 'operator', secondary: true, test: 'cmd-print-test' })),
    lastResult) : null;

  const commandList = h('div');
  const showCommands = () => commandList.replaceChildren(table([
    { label: t('时间', 'Sent'), value: (c) => commandResult(ctx, c)[0] },
    { label: t('指令', 'Command'), value: (c) => h('span', { class: 'mono' }, c.command) },
    { label: t('结果', 'Result'), value: (c) => commandResult(ctx, c)[1] },
    { label: t('详情', 'Details'), value: (c) => commandResult(ctx, c)[2] },
  ], commands, { test: 'kiosk-commands' }));

  const charts = h('div', { class: 'grid' });
  const plots = [];
  const series = (spec) => spec.series.map(([key]) => history.map((p) => (p[key] === null ? null : p[key] * spec.scale)));
  const drawCharts = () => {
    for (const [i, spec] of CHARTS.entries()) plots[i]?.setData([history.map((p) => p.at), ...series(spec)]);
  };

  const loads = table([
    { label: t('交易号', 'Transaction'), value: (l) => h('span', { class: 'mono' }, l.txnId) },
    { label: t('状态', 'State'), value: (l) => h('span', { class: `badge ${l.state === 'completed' ? 'ok' : ['reversing', 'pending-load', 'tac-failed'].includes(l.state) ? 'warn' : ''}` }, l.state) },
    { label: t('金额', 'Amount'), num: true, value: (l) => fmt.money(l.amount) },
    { label: t('银行', 'Bank'), value: (l) => l.bankId ?? '' },
    { label: 'STAN', value: (l) => (l.stan === undefined ? '' : String(l.stan).padStart(6, '0')) },
    { label: t('原因', 'Code'), value: (l) => h('span', { class: 'mono' }, l.code ?? '') },
    { label: t('开始', 'Started'), value: (l) => fmt.time(l.startedAt) },
    { label: t('更新', 'Updated'), value: (l) => fmt.time(l.updatedAt) },
  ], data.loads, { test: 'kiosk-loads', key: (l) => l.txnId });

  root.append(
    h('p', {}, h('a', { href: '#/fleet', 'data-test': 'fleet-back' }, t('← 全部设备', '← All kiosks'))),
    h('h1', {}, t(`终端 ${id}`, `Kiosk ${id}`)),
    status, controls,
    h('h2', {}, t('遥测', 'Telemetry')), charts,
    h('h2', {}, t('最近交易', 'Recent transactions')), loads,
    h('h2', {}, t('指令记录', 'Commands sent')), commandList);
  showStatus();
  showCommands();
  for (const spec of CHARTS) {
    const el = h('div', { 'data-test': `chart-${spec.series[0][0]}` });
    charts.append(h('div', { class: 'card' }, h('div', { class: 'muted' }, t(...spec.title)), el));
    plots.push(chart(el, { labels: history.map((p) => p.at), series: spec.series.map(([, zh, en], i) => ({ label: t(zh, en), values: series(spec)[i] })), unit: spec.unit }));
  }

  on('fleet.kiosk', (k) => {
    if (k.id !== id) return;
    const fresh = k.telemetry && k.telemetry.at !== kiosk.telemetry?.at;
    kiosk = k;
    showStatus();
    if (!fresh) return;
    history.push(pointOf(k.telemetry));
    if (history.length > 1440) history.shift(); // the gateway's own bound (gateway/fleet/fleet.ts HISTORY_POINTS)
    drawCharts();
  });
  on('fleet.command', (c) => {
    if (c.kioskId !== id) return;
    // The same command updates in place (waiting, then final): it is matched by when it was sent and what it was.
    const i = commands.findIndex((x) => x.sentAt === c.sentAt && x.command === c.command);
    commands = i >= 0 ? commands.map((x, j) => (j === i ? c : x)) : [c, ...commands];
    showCommands();
  });
}

export default {
  async render(root, ctx) {
    const [id] = ctx.path;
    if (id) await renderKiosk(root, ctx, id);
    else await renderList(root, ctx);
  },
};
