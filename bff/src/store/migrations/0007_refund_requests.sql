-- Refunds in flight (DESIGN.md §8, §9; docs/odoo-contract.md "Refunds and offline payments"): what a manager asked to
-- pay back, on the channel of the money it returns. Mutable (pending → processing → succeeded | failed); the money
-- itself is the ledger's refund row, written when the provider confirms and linked here by ledger_seq.
CREATE TABLE refund_requests (
  id                 bigserial   PRIMARY KEY,
  -- Ours, deterministic per request (principal, target, Idempotency-Key): a retry of the provider call with the same
  -- number never refunds twice (WeChat out_refund_no, Stripe idempotency key).
  out_refund_no      text        NOT NULL,
  -- A work order's money (kind 'work_order') or unattributed money held in suspense (kind 'suspense').
  kind               text        NOT NULL DEFAULT 'work_order',
  work_order_id      int,
  shop_id            int         NOT NULL,
  warehouse_id       int         NOT NULL,
  channel            text        NOT NULL,
  merchant_account   text        NOT NULL,
  -- The ledger row whose money goes back: a charge of the work order, or a suspense row.
  source_seq         bigint      NOT NULL,
  -- The provider's id of the original payment (WeChat transaction_id, Stripe PaymentIntent, offline txn).
  provider_txn_id    text        NOT NULL,
  amount             bigint      NOT NULL,
  -- The part of `amount` that lowers the price (a credit note in Odoo); the rest returns an overpayment. Decided once,
  -- here, under the work order's lock.
  credit_amount      bigint      NOT NULL DEFAULT 0,
  currency           char(3)     NOT NULL,
  reason             text        NOT NULL,
  state              text        NOT NULL DEFAULT 'pending',
  -- WeChat refund_id, Stripe re_…, the out_refund_no itself for offline money.
  provider_refund_id text,
  provider_status    text,
  -- The ledger refund row, once the provider confirmed.
  ledger_seq         bigint,
  requested_by       text        NOT NULL,
  attempts           int         NOT NULL DEFAULT 0,
  last_error         text,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  completed_at       timestamptz,
  CONSTRAINT refund_requests_out_refund_no_key UNIQUE (out_refund_no),
  CONSTRAINT refund_requests_ledger_seq_key UNIQUE (ledger_seq),
  CONSTRAINT refund_requests_source_seq_fkey FOREIGN KEY (source_seq) REFERENCES ledger_entries (seq),
  CONSTRAINT refund_requests_ledger_seq_fkey FOREIGN KEY (ledger_seq) REFERENCES ledger_entries (seq),
  CONSTRAINT refund_requests_out_refund_no_check CHECK (out_refund_no ~ '^[0-9A-Za-z_*|@-]{1,64}$'),
  CONSTRAINT refund_requests_kind_check CHECK (kind IN ('work_order', 'suspense')),
  CONSTRAINT refund_requests_work_order_check CHECK ((kind = 'work_order') = (work_order_id IS NOT NULL)),
  CONSTRAINT refund_requests_channel_check CHECK (channel IN ('wechat', 'stripe', 'offline')),
  CONSTRAINT refund_requests_amount_check CHECK (amount > 0),
  CONSTRAINT refund_requests_credit_check CHECK (credit_amount >= 0 AND credit_amount <= amount AND (kind = 'work_order' OR credit_amount = 0)),
  CONSTRAINT refund_requests_currency_check CHECK (currency ~ '^[A-Z]{3}$'),
  CONSTRAINT refund_requests_state_check CHECK (state IN ('pending', 'processing', 'succeeded', 'failed')),
  CONSTRAINT refund_requests_succeeded_check CHECK ((state = 'succeeded') = (ledger_seq IS NOT NULL))
);

-- A provider refund id confirms one request only.
CREATE UNIQUE INDEX refund_requests_provider_refund_key ON refund_requests (channel, provider_refund_id) WHERE provider_refund_id IS NOT NULL;
CREATE INDEX refund_requests_work_order_idx ON refund_requests (work_order_id, id) WHERE work_order_id IS NOT NULL;
CREATE INDEX refund_requests_source_idx ON refund_requests (source_seq);
-- The reconciler asks the provider about what is still in flight.
CREATE INDEX refund_requests_in_flight_idx ON refund_requests (created_at) WHERE state IN ('pending', 'processing');

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'drmoto_app') THEN
    GRANT SELECT, INSERT, UPDATE ON refund_requests TO drmoto_app;
    GRANT USAGE ON SEQUENCE refund_requests_id_seq TO drmoto_app;
  END IF;
END
$$;
