-- Short leases for work one replica does on behalf of all (metrics/cluster.ts: the cluster-wide gauges). A row per
-- lease; the holder renews it before it expires; an expired lease is anyone's. Clock: the database's now() only.
CREATE TABLE bff_leases (
  name       text        PRIMARY KEY,
  holder     text        NOT NULL,
  expires_at timestamptz NOT NULL
);

-- The application role (0006): take, renew and release.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'drmoto_app') THEN
    GRANT SELECT, INSERT, UPDATE, DELETE ON bff_leases TO drmoto_app;
  END IF;
EXCEPTION WHEN undefined_object OR insufficient_privilege THEN
  RAISE NOTICE 'bff_leases: grants to drmoto_app skipped';
END
$$;
