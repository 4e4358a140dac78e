// The one-card system: its kind, the postings waiting to be delivered to it, and the ones it refused, each with what an
// operator may do — send it again once the one-card system was put right, or set it aside with a note — and those set
// aside. Refreshed when a posting is delivered or refused.
const KINDS = { 'built-in': ['内置（前置机数据库即一卡通账本）', 'Built-in (the gateway\'s store is the one-card ledger)'], postgres: ['一卡通数据库直连', 'The campus database, directly'], http: ['Web 中间层', 'Web middle tier'] };

export default {
  async render(root, { api, h, t, fmt, table, button, toast, on, coalesced, can }) {
    const body = h('div');
    const path = (r, action) => `onecard/refused/${encodeURIComponent(r.posting.txnId)}/${encodeURIComponent(r.posting.status)}/${action}`;
    const posting = [
      { label: t('交易', 'Transaction'), value: (r) => h('span', { class: 'mono' }, r.posting.txnId) },
      { label: t('账户', 'Account'), value: (r) => h('span', { class: 'mono' }, r.posting.campusAccount) },
      { label: t('入账状态', 'Status'), value: (r) => r.posting.status },
      { label: t('金额', 'Amount'), value: (r) => fmt.money(r.posting.amount), num: true },
      { label: t('拒绝原因', 'Refused'), value: (r) => h('span', { class: 'mono', title: fmt.time(r.at) }, r.reason) },
    ];
    const answer = (r) => {
      if (!can('operator')) return '';
      const note = h('input', { placeholder: t('说明（搁置时必填）', 'Note (to set aside)'), 'data-test': 'onecard-note', size: 24 });
      return h('form', { class: 'inline', onsubmit: (e) => e.preventDefault() },
        button(t('重新发送', 'Send again'), async () => {
          await api.post(path(r, 'resend'), {});
          toast(t('已重新发送', 'Sent again'));
          await refresh();
        }, { role: 'operator', test: 'onecard-resend' }),
        note,
        button(t('搁置', 'Set aside'), async () => {
          if (!note.value.trim()) return toast(t('请填写说明', 'A note is required'), false);
          await api.post(path(r, 'set-aside'), { note: note.value });
          toast(t('已搁置', 'Set aside'));
          await refresh();
        }, { role: 'operator', test: 'onecard-set-aside' }));
    };
    const show = (d) => {
      const kind = KINDS[d.kind] ?? [d.kind, d.kind];
      body.replaceChildren(
        h('dl', { class: 'facts', 'data-test': 'onecard-facts' },
          h('dt', {}, t('对接方式', 'Kind')), h('dd', {}, t(...kind)),
          ...(d.delivery ? [
            h('dt', {}, t('待送达入账', 'Postings waiting')), h('dd', { 'data-test': 'onecard-waiting' }, String(d.delivery.waiting)),
            h('dt', {}, t('连续未应答', 'Tries without an answer')),
            h('dd', {}, h('span', { class: d.delivery.unanswered >= d.delivery.attentionAfter ? 'badge bad' : undefined }, String(d.delivery.unanswered))),
          ] : [])),
        h('h2', {}, t('被拒入账', 'Refused postings'), ' ', h('span', { class: 'muted' }, String(d.refused.length))),
        table([...posting, { label: '', value: answer }], d.refused, { test: 'onecard-refused', key: (r) => `${r.posting.txnId}/${r.posting.status}` }),
        h('h2', {}, t('已搁置', 'Set aside')),
        table([...posting, { label: t('处理人', 'By'), value: (r) => r.setAside.by }, { label: t('说明', 'Note'), value: (r) => r.setAside.note },
          { label: t('时间', 'When'), value: (r) => fmt.time(r.setAside.at) }], d.setAside, { test: 'onecard-set-aside-list', key: (r) => `${r.posting.txnId}/${r.posting.status}` }));
    };
    const refresh = async () => show(await api.get('onecard'));
    root.append(h('h1', {}, t('一卡通', 'One-card system')), body);
    await refresh();
    on('onecard.changed', coalesced(refresh));
  },
};
