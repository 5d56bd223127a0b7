-- Idempotency-Key store (DESIGN.md §7). The primary key is the scope: two requests with the same key race on this
-- constraint, never on a read-then-write in the BFF, so it holds across several BFF processes.
CREATE TABLE idempotency_keys (
  principal        text        NOT NULL,
  method           text        NOT NULL,
  path             text        NOT NULL,
  idem_key         text        NOT NULL,
  -- SHA-256 (hex) of the canonical JSON of the validated request: the same key with another body is refused.
  request_hash     text        NOT NULL,
  state            text        NOT NULL DEFAULT 'in_flight' CONSTRAINT idempotency_keys_state_check CHECK (state IN ('in_flight', 'completed')),
  -- Who holds the in-flight claim: only this token may complete or release it (a taken-over claimant can't).
  claim_token      uuid        NOT NULL,
  -- The claim's lease: past it, the claimant is presumed dead and the key may be taken over.
  locked_until     timestamptz,
  response_status  int,
  -- Content-Type, Location, ETag of the response, as sent.
  response_headers jsonb,
  -- The exact bytes sent to the client.
  response_body    bytea,
  created_at       timestamptz NOT NULL DEFAULT now(),
  completed_at     timestamptz,
  -- Swept after this (retention counted from the claim, then again from completion).
  expires_at       timestamptz NOT NULL,
  CONSTRAINT idempotency_keys_pkey PRIMARY KEY (principal, method, path, idem_key),
  CONSTRAINT idempotency_keys_completed_check CHECK (
    (state = 'in_flight' AND locked_until IS NOT NULL)
    OR (state = 'completed' AND response_status IS NOT NULL AND response_body IS NOT NULL AND completed_at IS NOT NULL)
  )
);

CREATE INDEX idempotency_keys_expires_idx ON idempotency_keys (expires_at);
