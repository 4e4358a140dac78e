// Money owed: reversals the bank has not confirmed (retry now), pending loads (圈存未领) waiting for their card, loads
// left unfinished, each with what an operator may do, and the credits the campus owes cards (subsidies, fee refunds,
// transfers), one in doubt marked. Refreshed when a reversal try ends or a credit changes.
const ACTIONS = {
  'retry-reversal': { path: (id) => `owed/reversals/${id}/retry`, zh: '立即重发', en: 'Retry now', test: 'retry-reversal' },
  park: { path: (id) => `owed/loads/${id}/park`, zh: '转为圈存未领', en: 'Park as pending load', test: 'park-load', confirm: ['转为圈存未领？持卡人下次放卡时领取。', "Park it as a pending load? The card's next tap collects it."] },
  reverse: { path: (id) => `owed/loads/${id}/reverse`, zh: '冲正', en: 'Reverse', test: 'reverse-load', danger: true, confirm: ['冲正该笔，退回银行？', 'Reverse it, giving the debit back to the bank?'] },
};

/** Where a campus-funded credit comes from. */
const SOURCES = {
  subsidy: ['补助', 'Subsidy'],
  'fee-refund': ['缴费退款', 'Fee refund'],
  transfer: ['代扣转账', 'Batch transfer'],
};

export default {
  async render(root, { api, h, t, fmt, table, button, toast, confirm, on, coalesced }) {
    const body = h('div');
    const txn = (i) => h('a', { href: `#/transactions/${encodeURIComponent(i.txnId)}`, class: 'mono' }, i.txnId);
    const advice = (i) => h('span', { class: 'muted' }, t(i.advice.zh, i.advice.en));
    const actions = (i) => i.actions.map((id) => {
      const a = ACTIONS[id];
      return button(t(a.zh, a.en), async () => {
        if (a.confirm && !confirm(t(...a.confirm))) return;
        const { item, owed } = await api.post(a.path(encodeURIComponent(i.txnId)));
        toast(item ? `${i.txnId}: ${item.state}` : t(`${i.txnId} 已完成`, `${i.txnId} done`), true);
        show(owed);
      }, { role: 'operator', test: a.test, danger: a.danger });
    });
    const common = [
      { label: t('交易', 'Transaction'), value: txn },
      { label: t('终端', 'Kiosk'), value: (i) => i.kioskId },
      { label: t('卡号', 'Card'), value: (i) => h('span', { class: 'mono' }, i.card) },
      { label: t('金额', 'Amount'), value: (i) => fmt.money(i.amount), num: true },
      { label: t('已等待', 'Age'), value: (i) => h('span', { title: fmt.time(i.since) }, fmt.age(i.since)) },
    ];
    const credit = (c) => (c.feeId
      ? h('a', { href: `#/fees/${encodeURIComponent(c.feeId)}`, class: 'mono' }, c.id)
      : h('span', { class: 'mono' }, c.id));
    const bySource = (totals) => Object.entries(totals.credits.bySource)
      .map(([source, x]) => `${t(SOURCES[source]?.[0] ?? source, SOURCES[source]?.[1] ?? source)} ${x.count} · ${fmt.money(x.amount)}`).join('；');
    const show = (owed) => {
      const { reversals, pendingLoads, unfinished, credits, totals } = owed;
      body.replaceChildren(
        h('h2', {}, t('待银行确认的冲正', 'Reversals awaiting the bank'), ' ', h('span', { class: 'muted', 'data-test': 'owed-reversal-total' },
          `${totals.reversals.count} · ${fmt.money(totals.reversals.amount)}`)),
        table([
          ...common,
          { label: t('银行', 'Bank'), value: (i) => i.bankId ?? '' },
          { label: t('次数', 'Attempts'), value: (i) => h('span', { class: i.attention ? 'badge bad' : undefined }, String(i.attempts)), num: true },
          { label: t('下次', 'Next try'), value: (i) => (i.trying ? t('发送中', 'sending') : i.nextTryAt ? fmt.time(i.nextTryAt) : '') },
          { label: t('上次错误', 'Last error'), value: (i) => (i.lastError ? h('span', { class: 'mono', title: i.lastError.message }, i.lastError.code) : '') },
          { label: '', value: actions },
        ], reversals, { test: 'owed-reversals', key: (i) => i.txnId }),
        h('h2', {}, t('圈存未领', 'Pending loads (圈存未领)'), ' ', h('span', { class: 'muted', 'data-test': 'owed-pending-total' },
          `${totals.pendingLoads.count} · ${fmt.money(totals.pendingLoads.amount)}`)),
        table([...common, { label: '', value: advice }], pendingLoads, { test: 'owed-pending', key: (i) => i.txnId }),
        h('h2', {}, t('未完成的交易', 'Unfinished loads')),
        table([
          ...common,
          { label: t('状态', 'State'), value: (i) => h('span', { class: 'mono' }, i.state) },
          { label: t('说明', 'What to do'), value: advice },
          { label: '', value: actions },
        ], unfinished, { test: 'owed-unfinished', key: (i) => i.txnId }),
        h('h2', {}, t('校园应付款（补助、缴费退款、代扣转账）', 'Credits the campus owes (subsidies, fee refunds, transfers)'), ' ',
          h('span', { class: 'muted', 'data-test': 'owed-credit-total' }, `${totals.credits.count} · ${fmt.money(totals.credits.amount)}`),
          ' ', h('span', { class: 'muted', 'data-test': 'owed-credit-by-source' }, bySource(totals))),
        table([
          { label: t('编号', 'Id'), value: credit },
          { label: t('来源', 'Source'), value: (c) => h('span', { 'data-test': 'credit-source' }, t(...(SOURCES[c.source] ?? [c.source, c.source]))) },
          { label: t('卡号', 'Card'), value: (c) => h('span', { class: 'mono' }, c.card) },
          { label: t('金额', 'Amount'), value: (c) => fmt.money(c.amount), num: true },
          { label: t('已等待', 'Age'), value: (c) => h('span', { title: fmt.time(c.since) }, fmt.age(c.since)) },
          { label: t('状态', 'State'), value: (c) => h('span', { class: c.state === 'owed' ? 'mono' : 'mono badge bad', 'data-test': 'credit-state' },
            c.inDoubt ? t(`${c.state} · 待卡片计数器确认`, `${c.state} · in doubt`) : c.state) },
          { label: t('说明', 'What to do'), value: (c) => h('span', { class: 'muted' }, t(c.advice.zh, c.advice.en), c.expires ? t(`（最后领取日 ${c.expires}）`, ` (last day ${c.expires})`) : '') },
        ], credits, { test: 'owed-credits', key: (c) => c.id }),
      );
    };
    const refresh = async () => show(await api.get('owed'));
    root.append(h('h1', {}, t('待处理款项', 'Money owed')), body);
    on('owed.changed', coalesced(refresh));
    await refresh();
  },
};
