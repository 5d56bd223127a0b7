-- The identity of this BFF store. Settlement names its Odoo calls after ledger rows (`ledger-<seq>`,
-- `settle-<seq>/close`) and Odoo replays a repeated name as the first call's result. A ledger sequence is unique only
-- within one store: a second store against the same Odoo (staging pointed at production, a store restored from an
-- older backup) would reuse the names, and Odoo would answer "already done" for new money. The installation id makes
-- every name unique across stores. One row, made once, never changed.
CREATE TABLE bff_installation (
  singleton  boolean     PRIMARY KEY DEFAULT true,
  id         text        NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT bff_installation_singleton_check CHECK (singleton),
  CONSTRAINT bff_installation_id_check CHECK (id ~ '^[0-9a-f]{12}$')
);
INSERT INTO bff_installation (id) VALUES (substr(md5(random()::text || clock_timestamp()::text), 1, 12));

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'drmoto_app') THEN
    REVOKE ALL ON bff_installation FROM drmoto_app;
    GRANT SELECT ON bff_installation TO drmoto_app;
  END IF;
END
$$;
