-- One round trip per ledger append (issue 5's webhook throughput). Appends are serialized by the chain's advisory lock,
-- held until the transaction commits. Appending from the BFF took the lock, read the head, inserted the row, then
-- updated the payment order, inserted the outbox row and committed: six round trips under the lock, each one waiting
-- in the BFF's busy event loop, so the chain advanced a few hundred rows a second while both cores were half idle.
-- These functions do the same work inside the database:
--   ledger_append           lock, duplicate check, head, created_at, hash, insert — for every append
--   payment_record_receipt  a provider's "money received" (WeChat notification or query, Stripe PaymentIntent) as one
--                           statement: duplicate check, order lock, charge or suspense, order paid, outbox row. Called
--                           outside an explicit transaction it commits with the statement, so the chain lock is held
--                           only for the database's own work (no client round trip inside it).
--
-- The hash is computed here with the canonical serialization of bff/src/domain/ledger-hash.ts (v1), which stays the
-- reference: ledger:verify recomputes every hash in TypeScript, the BFF recomputes each appended row's hash from what
-- the function returns and refuses a mismatch, and the tests compare ledger_canonical with canonicalLedgerEntry on
-- adversarial text. to_json(text) escapes exactly as JSON.stringify does for any text PostgreSQL can hold: ", \,
-- \b \f \n \r \t, other controls below U+0020 as \u00xx (lower-case hex), everything else as UTF-8.
--
-- SECURITY INVOKER (the default): they run with the caller's privileges, so drmoto_app needs nothing new.

CREATE FUNCTION ledger_canonical(
  p_seq bigint, p_created_at text, p_kind text, p_amount bigint, p_currency text, p_shop_id int, p_warehouse_id int,
  p_merchant_account text, p_channel text, p_ref text, p_provider_txn_id text, p_provider_refund_id text,
  p_provider_event_id text, p_source_seq bigint, p_work_order_id int, p_payment_order_id bigint, p_actor text,
  p_reason text, p_payload_hash text, p_prev_hash text
) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT '{"v":1'
    || ',"seq":' || p_seq::text
    || ',"created_at":' || to_json(p_created_at)::text
    || ',"kind":' || to_json(p_kind)::text
    || ',"amount":' || p_amount::text
    || ',"currency":' || to_json(p_currency)::text
    || ',"shop_id":' || p_shop_id::text
    || ',"warehouse_id":' || p_warehouse_id::text
    || ',"merchant_account":' || to_json(p_merchant_account)::text
    || ',"channel":' || to_json(p_channel)::text
    || ',"ref":' || to_json(p_ref)::text
    || ',"provider_txn_id":' || coalesce(to_json(p_provider_txn_id)::text, 'null')
    || ',"provider_refund_id":' || coalesce(to_json(p_provider_refund_id)::text, 'null')
    || ',"provider_event_id":' || coalesce(to_json(p_provider_event_id)::text, 'null')
    || ',"source_seq":' || coalesce(p_source_seq::text, 'null')
    || ',"work_order_id":' || coalesce(p_work_order_id::text, 'null')
    || ',"payment_order_id":' || coalesce(p_payment_order_id::text, 'null')
    || ',"actor":' || to_json(p_actor)::text
    || ',"reason":' || coalesce(to_json(p_reason)::text, 'null')
    || ',"payload_hash":' || to_json(p_payload_hash)::text
    || ',"prev_hash":' || to_json(p_prev_hash)::text
    || '}'
$$;

-- The row as LedgerRepository reads it (created_at as the hashed text) plus whether this call inserted it.
CREATE TYPE ledger_append_result AS (
  inserted           boolean,
  seq                bigint,
  created_at         text,
  kind               text,
  amount             bigint,
  currency           text,
  shop_id            int,
  warehouse_id       int,
  merchant_account   text,
  channel            text,
  ref                text,
  provider_txn_id    text,
  provider_refund_id text,
  provider_event_id  text,
  source_seq         bigint,
  work_order_id      int,
  payment_order_id   bigint,
  actor              text,
  reason             text,
  payload_hash       text,
  prev_hash          text,
  hash               text
);

-- Appends one row, or returns the row already recorded for the same money event (channel, ref, direction) with
-- inserted = false. `p_ref` is ledgerRef() of the entry (the ref check constraint refuses an inconsistent one). The
-- advisory lock (classid 'ledg', the schema) is the one LedgerRepository has always used; it is held until the
-- caller's transaction ends. Needs READ COMMITTED: each statement below then reads with a fresh snapshot, so the head
-- read after the lock sees every earlier append.
CREATE FUNCTION ledger_append(
  p_kind text, p_amount bigint, p_currency text, p_shop_id int, p_warehouse_id int, p_merchant_account text,
  p_channel text, p_ref text, p_provider_txn_id text, p_provider_refund_id text, p_provider_event_id text,
  p_source_seq bigint, p_work_order_id int, p_payment_order_id bigint, p_actor text, p_reason text, p_payload_hash text
) RETURNS ledger_append_result
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  r ledger_append_result;
  v_head_seq bigint;
  v_head_hash text;
  v_now timestamptz;
BEGIN
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'ledger_append needs READ COMMITTED, got %', current_setting('transaction_isolation')
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  PERFORM pg_advisory_xact_lock(1818584167, hashtext(current_schema()));

  SELECT false, l.seq, to_char(l.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), l.kind, l.amount,
         l.currency, l.shop_id, l.warehouse_id, l.merchant_account, l.channel, l.ref, l.provider_txn_id,
         l.provider_refund_id, l.provider_event_id, l.source_seq, l.work_order_id, l.payment_order_id, l.actor, l.reason,
         l.payload_hash, l.prev_hash, l.hash
    INTO r
    FROM ledger_entries l
   WHERE l.channel = p_channel AND l.ref = p_ref AND (l.amount > 0) = (p_amount > 0);
  IF FOUND THEN
    RETURN r;
  END IF;

  SELECT l.seq, l.hash INTO v_head_seq, v_head_hash FROM ledger_entries l ORDER BY l.seq DESC LIMIT 1;
  -- clock_timestamp(), not now(): a transaction that waited for the lock must not be stamped before the row it follows.
  v_now := clock_timestamp();
  r := ROW(true, coalesce(v_head_seq, 0) + 1, to_char(v_now AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
           p_kind, p_amount, p_currency, p_shop_id, p_warehouse_id, p_merchant_account, p_channel, p_ref,
           p_provider_txn_id, p_provider_refund_id, p_provider_event_id, p_source_seq, p_work_order_id,
           p_payment_order_id, p_actor, p_reason, p_payload_hash, coalesce(v_head_hash, repeat('0', 64)), NULL);
  r.hash := encode(sha256(convert_to(ledger_canonical(
    r.seq, r.created_at, r.kind, r.amount, r.currency, r.shop_id, r.warehouse_id, r.merchant_account, r.channel, r.ref,
    r.provider_txn_id, r.provider_refund_id, r.provider_event_id, r.source_seq, r.work_order_id, r.payment_order_id,
    r.actor, r.reason, r.payload_hash, r.prev_hash), 'UTF8')), 'hex');

  INSERT INTO ledger_entries (seq, created_at, kind, amount, currency, shop_id, warehouse_id, merchant_account, channel,
    ref, provider_txn_id, provider_refund_id, provider_event_id, source_seq, work_order_id, payment_order_id, actor,
    reason, payload_hash, prev_hash, hash)
  VALUES (r.seq, v_now, r.kind, r.amount, r.currency, r.shop_id, r.warehouse_id,
    r.merchant_account, r.channel, r.ref, r.provider_txn_id, r.provider_refund_id, r.provider_event_id, r.source_seq,
    r.work_order_id, r.payment_order_id, r.actor, r.reason, r.payload_hash, r.prev_hash, r.hash);
  RETURN r;
END
$$;

-- A provider reports money received for one of our payment orders: WeChat (transaction_id, a notification or an order
-- query) or Stripe (a succeeded PaymentIntent). Records it exactly once:
--   duplicate  the transaction is already in the ledger (as a charge or as suspense) — nothing new
--   charged    a known order of this channel, same amount and currency, still payable (open or expired): a charge,
--              the order marked paid, a settlement outbox row
--   suspense   anything else (unknown order, another channel's order, another PaymentIntent than the order's, a
--              different amount, an order already paid or closed): money moved that no order explains, for a manager
-- p_merchant_account: the provider account it arrived on (WeChat mchid); NULL takes the order's (Stripe), else the
-- channel. p_provider_order_ref: when set, the order's provider reference (Stripe PaymentIntent id) must match.
CREATE TYPE payment_receipt_result AS (
  outcome    text,
  anomaly    text,
  outbox_id  bigint,
  entry      ledger_append_result
);

CREATE FUNCTION payment_record_receipt(
  p_channel text, p_out_trade_no text, p_txn_id text, p_amount bigint, p_currency text, p_merchant_account text,
  p_provider_order_ref text, p_provider_event_id text, p_actor text, p_payload_hash text, p_paid_at timestamptz
) RETURNS payment_receipt_result
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  res payment_receipt_result;
  o payment_orders%ROWTYPE;
  v_anomaly text;
  v_kind text := 'charge';
BEGIN
  -- Most retries end here, before any lock (ledger_append re-checks under the chain lock).
  IF EXISTS (SELECT 1 FROM ledger_entries l WHERE l.channel = p_channel AND l.ref = 'txn:' || p_txn_id AND l.amount > 0) THEN
    res.outcome := 'duplicate';
    RETURN res;
  END IF;

  SELECT * INTO o FROM payment_orders po WHERE po.out_trade_no = p_out_trade_no FOR UPDATE;
  IF NOT FOUND OR o.channel <> p_channel THEN
    v_anomaly := format('unknown %s out_trade_no %s', p_channel, to_json(p_out_trade_no)::text);
    o := NULL;
  ELSIF p_provider_order_ref IS NOT NULL AND o.provider_order_ref IS NOT NULL AND o.provider_order_ref <> p_provider_order_ref THEN
    v_anomaly := format('%s is not order %s''s (%s)', p_txn_id, o.out_trade_no, o.provider_order_ref);
  ELSIF p_amount <> o.amount OR p_currency <> o.currency THEN
    v_anomaly := format('amount %s %s differs from the order''s %s %s', p_amount, p_currency, o.amount, o.currency);
  ELSIF o.state = 'paid' THEN
    v_anomaly := format('order %s was already paid (ledger seq %s)', o.out_trade_no, o.paid_ledger_seq);
  ELSIF o.state NOT IN ('open', 'expired') THEN
    v_anomaly := format('order %s is %s', o.out_trade_no, o.state);
  END IF;
  IF v_anomaly IS NOT NULL THEN
    v_kind := 'suspense';
  END IF;

  res.entry := ledger_append(v_kind, p_amount, p_currency, coalesce(o.shop_id, 0), coalesce(o.warehouse_id, 0),
    coalesce(p_merchant_account, o.merchant_account, p_channel), p_channel, 'txn:' || p_txn_id, p_txn_id, NULL,
    p_provider_event_id, NULL, o.work_order_id, o.id, p_actor, v_anomaly, p_payload_hash);
  res.anomaly := v_anomaly;
  IF NOT (res.entry).inserted THEN
    res.outcome := 'duplicate';
    RETURN res;
  END IF;
  IF v_kind = 'suspense' THEN
    res.outcome := 'suspense';
    RETURN res;
  END IF;

  UPDATE payment_orders
     SET state = 'paid', paid_at = coalesce(p_paid_at, now()), paid_ledger_seq = (res.entry).seq, updated_at = now()
   WHERE id = o.id;
  INSERT INTO settlement_outbox (ledger_seq, work_order_id, kind)
  VALUES ((res.entry).seq, o.work_order_id, 'charge')
  RETURNING id INTO res.outbox_id;
  res.outcome := 'charged';
  RETURN res;
END
$$;

-- Several receipts in one statement and one transaction: one chain-lock hand-over and one commit for all of them.
-- Under load the chain's cost is not the append but passing the lock from one committed transaction to the next
-- waiting backend (a wake-up, a context switch on busy cores); the BFF batches the receipts that arrive while a call
-- is running (LedgerRepository.recordReceipt). Items are recorded in order, each exactly as payment_record_receipt
-- records it alone; their orders are locked first, sorted by out_trade_no, so two batches can't deadlock each other
-- (and every path takes a payment order's lock before the chain's). One row per item, `idx` from 0. A failing item
-- fails the whole statement: the BFF then records the items one by one, so only that item's error is reported.
CREATE FUNCTION payment_record_receipts(p_items jsonb)
RETURNS TABLE (idx int, result payment_receipt_result)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  item record;
BEGIN
  PERFORM 1 FROM payment_orders po
   WHERE po.out_trade_no IN (SELECT e ->> 'out_trade_no' FROM jsonb_array_elements(p_items) e)
   ORDER BY po.out_trade_no
     FOR UPDATE;
  FOR item IN
    SELECT (i.ord - 1)::int AS idx, x.*
      FROM jsonb_array_elements(p_items) WITH ORDINALITY AS i(e, ord),
           jsonb_to_record(i.e) AS x(channel text, out_trade_no text, txn_id text, amount bigint, currency text,
             merchant_account text, provider_order_ref text, provider_event_id text, actor text, payload_hash text,
             paid_at timestamptz)
     ORDER BY i.ord
  LOOP
    idx := item.idx;
    result := payment_record_receipt(item.channel, item.out_trade_no, item.txn_id, item.amount, item.currency,
      item.merchant_account, item.provider_order_ref, item.provider_event_id, item.actor, item.payload_hash, item.paid_at);
    RETURN NEXT;
  END LOOP;
END
$$;
