// Announcements (公告): the list with each one's status, and for an operator the form that publishes one to every
// kiosk, a campus or chosen kiosks for a time window, and the withdrawal. The gateway checks everything it is sent.
const STATUS = {
  scheduled: { zh: '待生效', en: 'Scheduled', badge: 'warn' },
  live: { zh: '生效中', en: 'Live', badge: 'ok' },
  expired: { zh: '已过期', en: 'Expired', badge: '' },
  withdrawn: { zh: '已撤回', en: 'Withdrawn', badge: 'bad' },
};

/** `datetime-local` value (the browser's wall clock) for an instant, and back. */
const localValue = (ms) => {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
};
const instant = (value) => (value ? new Date(value).toISOString() : undefined);

export default {
  async render(root, { api, h, t, fmt, table, button, toast, confirm, can, on, lang }) {
    const list = h('div');
    const target = (a) => {
      if (a.target.kind === 'all') return t('全部终端', 'All kiosks');
      if (a.target.kind === 'campus') return t(`校区 ${a.target.campus}`, `Campus ${a.target.campus}`);
      return a.target.kioskIds.join(', ');
    };
    const status = (a) => h('span', { class: `badge ${STATUS[a.status].badge}`, 'data-test': `status-${a.id}` }, t(STATUS[a.status].zh, STATUS[a.status].en));
    const show = (announcements) => list.replaceChildren(table([
      { label: 'ID', value: (a) => h('span', { class: 'mono' }, a.id) },
      { label: t('状态', 'Status'), value: status },
      { label: t('标题', 'Title'), value: (a) => h('div', {}, h('strong', {}, a.title[lang]), h('div', { class: 'muted' }, a.body[lang])) },
      { label: t('对象', 'Target'), value: target },
      { label: t('开始', 'From'), value: (a) => fmt.time(a.from) },
      { label: t('结束', 'Until'), value: (a) => fmt.time(a.until) },
      { label: t('发布人', 'By'), value: (a) => (a.withdrawnBy ? `${a.publishedBy} / ${a.withdrawnBy}` : a.publishedBy) },
      { label: '', value: (a) => (a.status === 'live' || a.status === 'scheduled'
        ? button(t('撤回', 'Withdraw'), async () => {
          if (!confirm(t(`撤回公告 ${a.id}？终端将立即不再显示。`, `Withdraw ${a.id}? The kiosks stop showing it at once.`))) return;
          await api.post(`announcements/${encodeURIComponent(a.id)}/withdraw`);
          toast(t('已撤回', 'Withdrawn'));
          await refresh();
        }, { role: 'operator', danger: true, test: `withdraw-${a.id}` })
        : '') },
    ], announcements, { test: 'announcements-table', key: (a) => a.id }));

    const first = await api.get('announcements');
    const { limits, campuses, kiosks } = first;
    const refresh = async () => show((await api.get('announcements')).announcements);
    show(first.announcements);
    root.append(h('h1', {}, t('公告', 'Announcements')));
    if (can('operator')) root.append(form());
    root.append(h('h2', {}, t('全部公告', 'All announcements')), list);
    on('announcement', refresh);

    function form() {
      const field = (name, max, multiline) => h(multiline ? 'textarea' : 'input', { name, maxlength: max, required: true, 'data-test': `announcement-${name}` });
      const titleZh = field('title-zh', limits.title.zh);
      const titleEn = field('title-en', limits.title.en);
      const bodyZh = field('body-zh', limits.body.zh, true);
      const bodyEn = field('body-en', limits.body.en, true);
      const kind = h('select', { name: 'target', 'data-test': 'announcement-target' },
        h('option', { value: 'all' }, t('全部终端', 'All kiosks')),
        campuses.length ? h('option', { value: 'campus' }, t('校区', 'A campus')) : null,
        h('option', { value: 'kiosks' }, t('指定终端', 'Chosen kiosks')));
      const campus = h('select', { name: 'campus', 'data-test': 'announcement-campus' }, campuses.map((c) => h('option', { value: c }, c)));
      const chosen = kiosks.map((k) => h('input', { type: 'checkbox', value: k.id, 'data-test': `announcement-kiosk-${k.id}` }));
      const kioskBoxes = h('div', { class: 'grid' }, kiosks.map((k, i) => h('label', {}, h('span', {}, k.campus ? `${k.id} (${k.campus})` : k.id), chosen[i])));
      const campusLabel = h('label', {}, t('校区', 'Campus'), campus);
      const kiosksLabel = h('div', {}, kioskBoxes);
      const now = Date.now();
      const from = h('input', { type: 'datetime-local', name: 'from', value: localValue(now), 'data-test': 'announcement-from' });
      const until = h('input', { type: 'datetime-local', name: 'until', value: localValue(now + 7 * 86_400_000), 'data-test': 'announcement-until' });
      const showTarget = () => {
        campusLabel.hidden = kind.value !== 'campus';
        kiosksLabel.hidden = kind.value !== 'kiosks';
      };
      kind.addEventListener('change', showTarget);
      showTarget();
      const draft = () => ({
        title: { zh: titleZh.value, en: titleEn.value },
        body: { zh: bodyZh.value, en: bodyEn.value },
        from: instant(from.value),
        until: instant(until.value),
        target: kind.value === 'all' ? { kind: 'all' }
          : kind.value === 'campus' ? { kind: 'campus', campus: campus.value }
            : { kind: 'kiosks', kioskIds: chosen.filter((c) => c.checked).map((c) => c.value) },
      });
      const el = h('form', { class: 'card', 'data-test': 'announcement-form' },
        h('h2', {}, t('发布公告', 'Publish an announcement')),
        h('div', { class: 'grid' },
          h('label', {}, t(`中文标题（至多 ${limits.title.zh} 字）`, `Chinese title (at most ${limits.title.zh})`), titleZh),
          h('label', {}, t(`英文标题（至多 ${limits.title.en} 字符）`, `English title (at most ${limits.title.en})`), titleEn)),
        h('div', { class: 'grid' },
          h('label', {}, t(`中文正文（至多 ${limits.body.zh} 字）`, `Chinese text (at most ${limits.body.zh})`), bodyZh),
          h('label', {}, t(`英文正文（至多 ${limits.body.en} 字符）`, `English text (at most ${limits.body.en})`), bodyEn)),
        h('div', { class: 'grid' },
          h('label', {}, t('发布对象', 'Target'), kind), campusLabel,
          h('label', {}, t('开始', 'From'), from), h('label', {}, t('结束', 'Until'), until)),
        kiosksLabel,
        h('button', { type: 'submit', 'data-test': 'announcement-publish' }, t('发布', 'Publish')));
      el.addEventListener('submit', async (e) => {
        e.preventDefault();
        try {
          const { announcement } = await api.post('announcements', draft());
          toast(t(`已发布 ${announcement.id}`, `Published ${announcement.id}`));
          el.reset();
          showTarget();
          await refresh();
        } catch (err) {
          toast(`${err.code} ${err.message}`, false);
        }
      });
      return el;
    }
  },
};
