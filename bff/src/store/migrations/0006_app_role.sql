-- The application's privileges (DESIGN.md §8): migrations run as the owner; the BFF connects as a login role that is
-- a member of the NOLOGIN group role drmoto_app (`GRANT drmoto_app TO <login role>`, a deployment step) and owns
-- nothing. On the ledger it may only SELECT and INSERT — an owner could disable the append-only trigger, the app
-- role can't even try an UPDATE.
--
-- drmoto_app is cluster-wide and created here only when the executing role may (superuser or CREATEROLE); otherwise
-- the grants are skipped with a NOTICE and a DBA creates the role and re-runs the GRANTs below.
-- Grants are explicit per table: default privileges would also hand UPDATE/DELETE on any future append-only table.
-- A later migration that adds a table grants drmoto_app what it needs on it, the same way.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'drmoto_app') THEN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = current_user AND (rolsuper OR rolcreaterole)) THEN
      RAISE NOTICE 'role drmoto_app does not exist and % may not create it: grants skipped', current_user;
      RETURN;
    END IF;
    BEGIN
      CREATE ROLE drmoto_app NOLOGIN;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN
      -- Another database or schema migrating at the same moment created it first.
      NULL;
    END;
  END IF;

  BEGIN
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO drmoto_app', current_schema());
  EXCEPTION WHEN insufficient_privilege THEN
    -- The schema belongs to someone else (e.g. public, owned by pg_database_owner); PUBLIC usually has USAGE on it.
    RAISE NOTICE 'USAGE on schema % not granted to drmoto_app: % does not own it', current_schema(), current_user;
  END;

  -- Payment truth: read and append, nothing else (REVOKE first, so a re-run also removes anything granted by hand).
  REVOKE ALL ON ledger_entries FROM PUBLIC, drmoto_app;
  GRANT SELECT, INSERT ON ledger_entries TO drmoto_app;

  -- An audit log: read and append.
  REVOKE ALL ON bff_audit_log FROM drmoto_app;
  GRANT SELECT, INSERT ON bff_audit_log TO drmoto_app;

  GRANT SELECT, INSERT, UPDATE, DELETE ON idempotency_keys, auth_refresh_tokens, payment_orders, settlement_outbox TO drmoto_app;

  GRANT USAGE ON SEQUENCE bff_audit_log_id_seq, payment_orders_id_seq, settlement_outbox_id_seq TO drmoto_app;
END
$$;
