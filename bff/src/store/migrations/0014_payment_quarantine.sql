-- Issue 15, points 2 and 3.
--
-- payment_quarantine: a provider's verified report of money that the ledger cannot take — an amount that is not a
-- positive integer of minor units, a currency that is no ISO 4217 code, a transaction without an id, a notification
-- for another merchant, a resource of the wrong shape. The provider signed it, so answering with an error would only
-- make it send the same thing again for a day (WeChat) or three (Stripe): it is kept here, once, with an alert, and
-- acknowledged. Not money in the ledger (no valid amount to record); a manager looks at it and settles it with the
-- provider. `body` is the decrypted resource as JSON text (text, not jsonb: a signed oddity may hold a \u0000 that
-- jsonb refuses, and refusing it would be a 503 forever).
CREATE TABLE payment_quarantine (
  id               bigserial   PRIMARY KEY,
  channel          text        NOT NULL,
  -- `txn:<transaction id>` when the report names one, else `event:<notification or event id>`, else `hash:<payload>`.
  dedupe_key       text        NOT NULL,
  source           text        NOT NULL,
  reason           text        NOT NULL,
  event_type       text,
  out_trade_no     text,
  provider_txn_id  text,
  provider_event_id text,
  body             text        NOT NULL,
  payload_hash     text        NOT NULL,
  deliveries       integer     NOT NULL DEFAULT 1,
  received_at      timestamptz NOT NULL DEFAULT now(),
  last_received_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT payment_quarantine_channel_check CHECK (channel IN ('wechat', 'stripe')),
  CONSTRAINT payment_quarantine_dedupe_key_check CHECK (length(dedupe_key) BETWEEN 1 AND 300),
  CONSTRAINT payment_quarantine_key UNIQUE (channel, dedupe_key)
);

CREATE INDEX payment_quarantine_received_idx ON payment_quarantine (received_at);

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'drmoto_app') THEN
    GRANT SELECT, INSERT, UPDATE ON payment_quarantine TO drmoto_app;
    GRANT USAGE ON SEQUENCE payment_quarantine_id_seq TO drmoto_app;
  END IF;
END
$$;

-- payment_record_receipt as in 0012, plus: money received for one of our open (or expired) orders with another amount
-- or currency retires that order. The provider has been paid for it (a WeChat out_trade_no, a Stripe PaymentIntent
-- can't be paid twice), so keeping it open made the next payment for the work order reuse it and the provider answer
-- ORDERPAID until the order expired; closed here, the next payment opens a new order for the amount now due.
CREATE OR REPLACE FUNCTION payment_record_receipt(
  p_channel text, p_out_trade_no text, p_txn_id text, p_amount bigint, p_currency text, p_merchant_account text,
  p_provider_order_ref text, p_provider_event_id text, p_actor text, p_payload_hash text, p_paid_at timestamptz
) RETURNS payment_receipt_result
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  res payment_receipt_result;
  o payment_orders%ROWTYPE;
  v_anomaly text;
  v_kind text := 'charge';
  v_retire boolean := false;
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
    v_retire := o.state IN ('open', 'expired');
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
    IF v_retire THEN
      UPDATE payment_orders
         SET state = 'closed', closed_at = now(), updated_at = now(),
             close_reason = format('paid %s %s at the provider: suspense (ledger seq %s)', p_amount, p_currency, (res.entry).seq)
       WHERE id = o.id AND state IN ('open', 'expired');
    END IF;
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
