-- Payment orders (DESIGN.md §9): what the BFF asked a provider to collect. Mutable; the money itself is in the ledger.
CREATE TABLE payment_orders (
  id                 bigserial   PRIMARY KEY,
  -- Our order number at the provider (WeChat out_trade_no; Stripe metadata).
  out_trade_no       text        NOT NULL,
  work_order_id      int         NOT NULL,
  shop_id            int         NOT NULL,
  warehouse_id       int         NOT NULL,
  merchant_account   text        NOT NULL,
  channel            text        NOT NULL,
  amount             bigint      NOT NULL,
  currency           char(3)     NOT NULL,
  state              text        NOT NULL DEFAULT 'open',
  time_expire        timestamptz NOT NULL,
  -- WeChat prepay_id, Stripe PaymentIntent id.
  provider_order_ref text,
  -- What the client needs to pay (e.g. a PaymentIntent client_secret) or the provider echoed back; never our keys.
  provider_data      jsonb       NOT NULL DEFAULT '{}'::jsonb,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  paid_at            timestamptz,
  -- The ledger row (charge) that paid it.
  paid_ledger_seq    bigint,
  closed_at          timestamptz,
  close_reason       text,
  CONSTRAINT payment_orders_out_trade_no_key UNIQUE (out_trade_no),
  CONSTRAINT payment_orders_paid_ledger_seq_fkey FOREIGN KEY (paid_ledger_seq) REFERENCES ledger_entries (seq),
  CONSTRAINT payment_orders_out_trade_no_check CHECK (out_trade_no ~ '^[0-9A-Za-z_*-]{6,32}$'),
  CONSTRAINT payment_orders_channel_check CHECK (channel IN ('wechat', 'stripe', 'offline')),
  CONSTRAINT payment_orders_amount_check CHECK (amount > 0),
  CONSTRAINT payment_orders_currency_check CHECK (currency ~ '^[A-Z]{3}$'),
  CONSTRAINT payment_orders_state_check CHECK (state IN ('open', 'paid', 'closed', 'expired', 'failed')),
  CONSTRAINT payment_orders_paid_check CHECK ((state = 'paid') = (paid_at IS NOT NULL)),
  CONSTRAINT payment_orders_closed_check CHECK ((state = 'closed') = (closed_at IS NOT NULL))
);

-- One open order per work order and channel: a concurrent second create loses here and gets the first one back.
CREATE UNIQUE INDEX payment_orders_one_open_key ON payment_orders (work_order_id, channel) WHERE state = 'open';
CREATE INDEX payment_orders_work_order_idx ON payment_orders (work_order_id, id);
CREATE INDEX payment_orders_provider_ref_idx ON payment_orders (channel, provider_order_ref) WHERE provider_order_ref IS NOT NULL;
-- Reconciliation and expiry walk the open orders only.
CREATE INDEX payment_orders_open_idx ON payment_orders (created_at) WHERE state = 'open';
CREATE INDEX payment_orders_open_expire_idx ON payment_orders (time_expire) WHERE state = 'open';

ALTER TABLE ledger_entries
  ADD CONSTRAINT ledger_entries_payment_order_id_fkey FOREIGN KEY (payment_order_id) REFERENCES payment_orders (id);

-- Settlement outbox (DESIGN.md §9): written in the same transaction as its ledger row, so a committed payment always
-- has its pending settlement; a relay hands rows to the queue, the reconciler walks what stays pending.
CREATE TABLE settlement_outbox (
  id              bigserial   PRIMARY KEY,
  ledger_seq      bigint      NOT NULL,
  work_order_id   int         NOT NULL,
  kind            text        NOT NULL,
  state           text        NOT NULL DEFAULT 'pending',
  attempts        int         NOT NULL DEFAULT 0,
  last_error      text,
  -- The reconciler leaves a row alone until then (backoff after a failed attempt).
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  settled_at      timestamptz,
  CONSTRAINT settlement_outbox_ledger_seq_key UNIQUE (ledger_seq),
  CONSTRAINT settlement_outbox_ledger_seq_fkey FOREIGN KEY (ledger_seq) REFERENCES ledger_entries (seq),
  CONSTRAINT settlement_outbox_kind_check CHECK (kind IN ('charge', 'refund', 'reversal', 'suspense')),
  CONSTRAINT settlement_outbox_state_check CHECK (state IN ('pending', 'settled', 'failed')),
  CONSTRAINT settlement_outbox_attempts_check CHECK (attempts >= 0),
  CONSTRAINT settlement_outbox_settled_check CHECK ((state = 'settled') = (settled_at IS NOT NULL))
);

CREATE INDEX settlement_outbox_pending_idx ON settlement_outbox (next_attempt_at, id) WHERE state = 'pending';
CREATE INDEX settlement_outbox_work_order_idx ON settlement_outbox (work_order_id, id);
