-- Stripe webhook events seen (DESIGN.md §9: dedupe on event.id). A row is written when an event arrives and marked
-- processed when its effect (ledger row, order state) is committed; a redelivery of a processed event is answered 200
-- and ignored, one that crashed half-way is processed again (every effect is idempotent by its own key anyway).
CREATE TABLE stripe_events (
  id            text        PRIMARY KEY,
  type          text        NOT NULL,
  payload_hash  text        NOT NULL,
  received_at   timestamptz NOT NULL DEFAULT now(),
  processed_at  timestamptz,
  outcome       text,
  CONSTRAINT stripe_events_id_check CHECK (length(id) BETWEEN 1 AND 255)
);

CREATE INDEX stripe_events_unprocessed_idx ON stripe_events (received_at) WHERE processed_at IS NULL;

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'drmoto_app') THEN
    GRANT SELECT, INSERT, UPDATE ON stripe_events TO drmoto_app;
  END IF;
END
$$;
