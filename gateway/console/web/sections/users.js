// Console users for an admin: roles, lockouts, removal. Passwords are set with `quancun console user`, never here.
export default {
  async render(root, { api, h, t, fmt, table, button, toast, confirm }) {
    const list = h('div');
    const show = (users) => list.replaceChildren(table([
      { label: t('用户', 'User'), value: (u) => u.name },
      { label: t('角色', 'Role'), value: (u) => {
        const select = h('select', { 'data-test': `role-${u.name}` }, ['viewer', 'operator', 'admin'].map((r) => h('option', { value: r, selected: r === u.role }, r)));
        select.addEventListener('change', async () => {
          try {
            show((await api.post(`users/${encodeURIComponent(u.name)}`, { role: select.value })).users);
            toast(t('已修改', 'Changed'));
          } catch (err) { toast(`${err.code} ${err.message}`, false); }
        });
        return select;
      } },
      { label: t('密码修改于', 'Password set'), value: (u) => fmt.time(u.changedAt) },
      { label: t('锁定至', 'Locked until'), value: (u) => (u.lockedUntil ? h('span', { class: 'badge bad' }, fmt.time(u.lockedUntil)) : '') },
      { label: '', value: (u) => [
        u.lockedUntil ? button(t('解锁', 'Unlock'), async () => show((await api.post(`users/${encodeURIComponent(u.name)}`, { unlock: true })).users), { secondary: true }) : null,
        button(t('删除', 'Remove'), async () => {
          if (confirm(t(`删除用户 ${u.name}？`, `Remove user ${u.name}?`))) show((await api.post(`users/${encodeURIComponent(u.name)}/remove`)).users);
        }, { danger: true }),
      ] },
    ], users, { key: (u) => u.name }));
    root.append(h('h1', {}, t('用户', 'Users')),
      h('p', { class: 'muted' }, t('新用户和密码用 quancun console user 设置。', 'New users and passwords are set with `quancun console user`.')), list);
    show((await api.get('users')).users);
  },
};
