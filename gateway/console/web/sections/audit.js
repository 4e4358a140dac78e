// The audit log: every console action, newest first, filtered by user, action and day, exported as CSV.
export default {
  async render(root, { api, h, t, fmt, table, on }) {
    const user = h('input', { name: 'user', 'data-test': 'audit-user' });
    const action = h('input', { name: 'action', placeholder: 'kiosk.command', 'data-test': 'audit-action' });
    const from = h('input', { name: 'from', type: 'date' });
    const query = () => new URLSearchParams(Object.entries({ user: user.value, action: action.value, from: from.value }).filter(([, v]) => v)).toString();
    const list = h('div');
    const result = (e) => h('span', { class: `badge ${e.result === 'ok' ? 'ok' : 'bad'}` }, e.code ? `${e.result} ${e.code}` : e.result);
    const show = async () => {
      const { entries } = await api.get(`audit?${query()}`);
      list.replaceChildren(table([
        { label: t('时间', 'When'), value: (e) => fmt.time(e.at) },
        { label: t('用户', 'Who'), value: (e) => `${e.user} (${e.role})` },
        { label: t('操作', 'Action'), value: (e) => h('span', { class: 'mono' }, e.action) },
        { label: t('对象', 'Target'), value: (e) => Object.values(e.target).join(' ') },
        { label: t('结果', 'Result'), value: result },
        { label: t('内容', 'Details'), value: (e) => h('span', { class: 'mono' }, Object.keys(e.details).length ? JSON.stringify(e.details) : '') },
      ], entries, { test: 'audit-table' }));
    };
    const csv = h('a', { href: '#', 'data-test': 'audit-csv' }, t('导出 CSV', 'Export CSV'));
    csv.addEventListener('click', (e) => { e.preventDefault(); location.href = api.href(`audit.csv?${query()}`); });
    const form = h('form', { class: 'inline' },
      h('label', {}, t('用户', 'User'), user), h('label', {}, t('操作', 'Action'), action), h('label', {}, t('起始日期', 'From'), from),
      h('button', { type: 'submit' }, t('查询', 'Search')), csv);
    form.addEventListener('submit', (e) => { e.preventDefault(); show(); });
    root.append(h('h1', {}, t('审计日志', 'Audit log')), form, list);
    on('audit.entry', show);
    await show();
  },
};
