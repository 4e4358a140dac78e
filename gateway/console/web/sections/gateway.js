// The gateway itself: each check of /health with its state and detail, the process serving and its store, and the
// standby waiting to take the store over (when one is configured). Read again on demand; nothing here changes anything.
const STATES = { ok: ['正常', 'ok'], degraded: ['降级', 'degraded'], failing: ['故障', 'failing'] };
const CHECKS = {
  journal: ['流水存储', 'Journal'], broker: ['消息代理', 'Broker'], reversals: ['冲正队列', 'Reversals'],
  onecard: ['一卡通', 'One-card system'], standby: ['备机', 'Standby'],
};

export default {
  async render(root, { api, h, t, fmt, table, button }) {
    const body = h('div');
    const state = (s) => h('span', { class: `badge ${s === 'ok' ? 'ok' : 'bad'}` }, t(...(STATES[s] ?? [s, s])));
    const checkName = (name) => (name.startsWith('bank:') ? `${t('银行', 'Bank')} ${name.slice(5)}` : t(...(CHECKS[name] ?? [name, name])));
    const standbys = (d) => {
      if (d.standbys === undefined) return h('p', { class: 'muted', 'data-test': 'gateway-standbys' }, t('未配置备机', 'No standby configured'));
      if (d.standbys === null) return h('p', { class: 'muted', 'data-test': 'gateway-standbys' }, t('数据库未应答，见上方检查', 'The database did not answer: see the checks above'));
      return table([
        { label: t('进程', 'Process'), value: (s) => h('span', { class: 'mono' }, s.session) },
        { label: t('地址', 'From'), value: (s) => s.from },
        { label: t('等待自', 'Waiting since'), value: (s) => `${fmt.time(s.since)} (${fmt.age(s.since)})` },
      ], d.standbys, { test: 'gateway-standbys', key: (s) => s.session });
    };
    const show = (d) => body.replaceChildren(
      h('dl', { class: 'facts', 'data-test': 'gateway-facts' },
        h('dt', {}, t('状态', 'Status')), h('dd', { 'data-test': 'gateway-status' }, state(d.health.status)),
        h('dt', {}, t('进程', 'Process')), h('dd', { class: 'mono' }, d.process),
        h('dt', {}, t('版本', 'Version')), h('dd', {}, d.version),
        h('dt', {}, t('存储', 'Store')), h('dd', { class: 'mono' }, d.store),
        h('dt', {}, t('检查时间', 'Checked')), h('dd', {}, fmt.time(d.health.at))),
      h('h2', {}, t('检查', 'Checks')),
      table([
        { label: t('检查', 'Check'), value: ([name]) => checkName(name) },
        { label: t('状态', 'State'), value: ([, c]) => state(c.status) },
        { label: t('详情', 'Detail'), value: ([, c]) => c.detail },
      ], Object.entries(d.health.checks), { test: 'gateway-checks', key: ([name]) => name }),
      h('h2', {}, t('备机', 'Standby')),
      standbys(d));
    const refresh = async () => show(await api.get('gateway'));
    root.append(h('h1', {}, t('前置机', 'Gateway')), h('div', { class: 'actions' }, button(t('重新检查', 'Check again'), refresh, { test: 'gateway-refresh' })), body);
    await refresh();
  },
};
