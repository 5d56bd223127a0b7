-- The payment ledger (DESIGN.md §8): append-only, one row per money event, hash-chained. Payment truth lives here;
-- anything mutable (payment orders, settlement progress) lives in other tables. Corrections are new rows.
CREATE TABLE ledger_entries (
  -- Chain position 1, 2, 3, … with no gaps, assigned under an advisory lock by LedgerRepository.append.
  seq                bigint      NOT NULL,
  -- Microseconds as stored are part of the hash: it is read back as text, never through a JS Date.
  created_at         timestamptz NOT NULL,
  kind               text        NOT NULL,
  -- Signed minor units: charge > 0; refund, reversal < 0; suspense > 0 when money arrives, < 0 when it is released.
  amount             bigint      NOT NULL,
  currency           char(3)     NOT NULL,
  shop_id            int         NOT NULL,
  warehouse_id       int         NOT NULL,
  -- The provider account the money moved through (WeChat mchid, Stripe account, the shop's till for offline).
  merchant_account   text        NOT NULL,
  channel            text        NOT NULL,
  -- What makes this money event unique within its channel and direction (see ledger_entries_ref_check):
  --   txn:<provider_txn_id>       money received (charge or suspense > 0) — once per transaction, whichever kind came first
  --   refund:<provider_refund_id> money returned to the payer (refund, or suspense released by a refund)
  --   apply:<source_seq>          a suspense row applied to a work order: suspense < 0 and charge > 0, both keyed so
  --   reversal:<source_seq>       the reversal of an earlier row
  ref                text        NOT NULL,
  -- WeChat transaction_id, Stripe PaymentIntent id, or the cashier's reference for offline money.
  provider_txn_id    text,
  -- WeChat refund_id, Stripe re_… id.
  provider_refund_id text,
  -- The notification / event that reported it (WeChat notification id, Stripe evt_…): for the audit trail only.
  provider_event_id  text,
  -- The earlier row this one applies or reverses (or the suspense row a refund releases).
  source_seq         bigint,
  work_order_id      int,
  payment_order_id   bigint,
  -- Who wrote it: system:wechatpay-notify, system:reconciler, staff:<uid>, …
  actor              text        NOT NULL,
  reason             text,
  -- SHA-256 (hex) of the provider payload or request exactly as received.
  payload_hash       text        NOT NULL,
  prev_hash          text        NOT NULL,
  hash               text        NOT NULL,
  CONSTRAINT ledger_entries_pkey PRIMARY KEY (seq),
  -- Two rows can't follow the same predecessor: a second backstop against a forked chain.
  CONSTRAINT ledger_entries_prev_hash_key UNIQUE (prev_hash),
  CONSTRAINT ledger_entries_source_seq_fkey FOREIGN KEY (source_seq) REFERENCES ledger_entries (seq),
  CONSTRAINT ledger_entries_seq_check CHECK (seq > 0),
  CONSTRAINT ledger_entries_kind_check CHECK (kind IN ('charge', 'refund', 'reversal', 'suspense')),
  CONSTRAINT ledger_entries_channel_check CHECK (channel IN ('wechat', 'stripe', 'offline')),
  CONSTRAINT ledger_entries_currency_check CHECK (currency ~ '^[A-Z]{3}$'),
  CONSTRAINT ledger_entries_amount_check CHECK (
    CASE kind WHEN 'charge' THEN amount > 0 WHEN 'suspense' THEN amount <> 0 ELSE amount < 0 END
  ),
  -- Only suspense may be unattributed (money for an unknown order).
  CONSTRAINT ledger_entries_work_order_check CHECK (kind = 'suspense' OR work_order_id IS NOT NULL),
  CONSTRAINT ledger_entries_source_seq_check CHECK (source_seq < seq),
  CONSTRAINT ledger_entries_ref_check CHECK (coalesce(
    CASE
      WHEN kind = 'reversal' THEN source_seq IS NOT NULL AND ref = 'reversal:' || source_seq
      WHEN provider_refund_id IS NOT NULL THEN kind IN ('refund', 'suspense') AND amount < 0 AND ref = 'refund:' || provider_refund_id
      WHEN kind = 'refund' THEN false
      WHEN source_seq IS NOT NULL THEN (kind = 'charge' OR amount < 0) AND ref = 'apply:' || source_seq
      ELSE amount > 0 AND provider_txn_id IS NOT NULL AND ref = 'txn:' || provider_txn_id
    END, false)),
  CONSTRAINT ledger_entries_actor_check CHECK (actor <> ''),
  CONSTRAINT ledger_entries_payload_hash_check CHECK (payload_hash ~ '^[0-9a-f]{64}$'),
  CONSTRAINT ledger_entries_prev_hash_check CHECK (prev_hash ~ '^[0-9a-f]{64}$' AND (seq = 1) = (prev_hash = repeat('0', 64))),
  CONSTRAINT ledger_entries_hash_check CHECK (hash ~ '^[0-9a-f]{64}$')
);

-- The duplicate guard for concurrent callbacks: a transaction id is received once (as a charge OR as suspense — a
-- notification retried after its order was paid is the same money, not new suspense), a refund id is paid out once,
-- a suspense row is applied once, a row reversed once. Direction is part of the key so the two rows of an apply pair
-- (suspense −x, charge +x) share their reference.
CREATE UNIQUE INDEX ledger_entries_ref_key ON ledger_entries (channel, ref, (amount > 0));

CREATE INDEX ledger_entries_work_order_idx ON ledger_entries (work_order_id, seq) WHERE work_order_id IS NOT NULL;
CREATE INDEX ledger_entries_txn_idx ON ledger_entries (channel, provider_txn_id) WHERE provider_txn_id IS NOT NULL;
CREATE INDEX ledger_entries_payment_order_idx ON ledger_entries (payment_order_id) WHERE payment_order_id IS NOT NULL;
CREATE INDEX ledger_entries_source_seq_idx ON ledger_entries (source_seq) WHERE source_seq IS NOT NULL;

-- Append-only. The application role has no UPDATE/DELETE/TRUNCATE privilege either (0006); this trigger also stops
-- the owner, who could only get past it by disabling it (ALTER TABLE … DISABLE TRIGGER), which verify would expose.
CREATE FUNCTION ledger_entries_reject_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'ledger_entries is append-only: % is not allowed (corrections are new rows)', TG_OP
    USING ERRCODE = 'restrict_violation', HINT = 'append a reversal, refund or suspense row instead';
END
$$;

CREATE TRIGGER ledger_entries_no_update_delete
  BEFORE UPDATE OR DELETE ON ledger_entries
  FOR EACH ROW EXECUTE FUNCTION ledger_entries_reject_change();

CREATE TRIGGER ledger_entries_no_truncate
  BEFORE TRUNCATE ON ledger_entries
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_entries_reject_change();

-- A new row must link to the row before it. The hash itself is computed by the BFF (domain/ledger-hash.ts) and
-- re-checked by `npm run ledger:verify`; this refuses a raw INSERT that would visibly detach from the chain.
CREATE FUNCTION ledger_entries_check_link() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  expected text;
BEGIN
  IF NEW.seq = 1 THEN
    expected := repeat('0', 64);
  ELSE
    SELECT hash INTO expected FROM ledger_entries WHERE seq = NEW.seq - 1;
  END IF;
  IF expected IS NULL OR NEW.prev_hash <> expected THEN
    RAISE EXCEPTION 'ledger_entries: row % does not follow the chain head (prev_hash must be the hash of row %)', NEW.seq, NEW.seq - 1
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END
$$;

CREATE TRIGGER ledger_entries_link
  BEFORE INSERT ON ledger_entries
  FOR EACH ROW EXECUTE FUNCTION ledger_entries_check_link();
