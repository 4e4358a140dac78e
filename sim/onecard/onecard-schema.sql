-- A sample one-card database (一卡通数据库): the schema the gateway's direct PostgreSQL link (gateway/onecard/
-- pg-one-card.ts) queries by default. A campus's own schema differs: its config's `oneCard.queries` then say how to
-- read an account and apply a posting there (docs/onecard.md). The tests create it in a private cluster
-- (sim/onecard/sample-schema.ts).

create table onecard_accounts (
  campus_account text primary key,
  asn char(20) not null unique check (asn = upper(asn)),
  name text not null,
  staff_no text not null,
  -- the bank binding (签约), when the cardholder signed one
  bank_id text,
  bank_pan text
);

-- Each posting's current status.
create table onecard_postings (
  txn_id text primary key,
  campus_account text not null references onecard_accounts,
  amount_fen bigint not null check (amount_fen >= 0),
  status text not null,
  source text,
  at timestamptz not null
);

-- Each status applied, once: a status sent again is recognised here and changes nothing.
create table onecard_posting_statuses (
  txn_id text not null references onecard_postings,
  status text not null,
  at timestamptz not null,
  applied_at timestamptz not null default now(),
  primary key (txn_id, status)
);

-- The status changes the campus accepts; '' is a posting not seen yet. The three-state posting: provisional (模拟入账)
-- then final (正式入账), or write-failed (圈存未领) then final when the card collects it, or expired; reversed when the
-- bank's transfer was undone.
create table onecard_transitions (
  from_status text not null,
  to_status text not null,
  primary key (from_status, to_status)
);
insert into onecard_transitions values
  ('', 'provisional'), ('', 'write-failed'), ('', 'reversed'),
  ('provisional', 'final'), ('provisional', 'write-failed'), ('provisional', 'reversed'),
  ('write-failed', 'final'), ('write-failed', 'expired');

-- One posting status, in the caller's transaction: 'applied', 'repeated' (that status was applied before: nothing
-- changes), 'refused' (a change the campus does not make, or another account or amount under the same id) or
-- 'account-unknown'; with the posting's status after.
create function onecard_post(p_txn text, p_account text, p_amount bigint, p_status text, p_source text, p_at timestamptz)
  returns table (outcome text, status text) language plpgsql as $$
#variable_conflict use_column
declare
  held onecard_postings%rowtype;
begin
  if not exists (select 1 from onecard_accounts a where a.campus_account = p_account) then
    return query select 'account-unknown'::text, null::text;
    return;
  end if;
  select * into held from onecard_postings p where p.txn_id = p_txn for update;
  if found and (held.campus_account <> p_account or held.amount_fen <> p_amount) then
    return query select 'refused'::text, held.status;
    return;
  end if;
  if exists (select 1 from onecard_posting_statuses s where s.txn_id = p_txn and s.status = p_status) then
    return query select 'repeated'::text, held.status;
    return;
  end if;
  if not exists (select 1 from onecard_transitions t where t.from_status = coalesce(held.status, '') and t.to_status = p_status) then
    return query select 'refused'::text, held.status;
    return;
  end if;
  insert into onecard_postings as p values (p_txn, p_account, p_amount, p_status, p_source, p_at)
    on conflict (txn_id) do update set status = excluded.status, at = excluded.at;
  insert into onecard_posting_statuses (txn_id, status, at) values (p_txn, p_status, p_at);
  return query select 'applied'::text, p_status;
end $$;
