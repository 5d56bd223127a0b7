#!/bin/bash
# Runs once, when the PostgreSQL volume is created. The BFF store gets its own database:
#  - bff_owner owns the schema and runs migrations (DATABASE_MIGRATION_URL);
#  - bff_app is what the BFF runs as (DATABASE_URL): it owns nothing, so it cannot disable triggers
#    or alter tables; grants per table come from the migrations (the ledger: INSERT and SELECT only).
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres <<SQL
CREATE ROLE bff_owner LOGIN PASSWORD '${BFF_OWNER_PASSWORD}';
CREATE ROLE bff_app LOGIN PASSWORD '${BFF_APP_PASSWORD}';
CREATE DATABASE bff OWNER bff_owner;
REVOKE ALL ON DATABASE bff FROM PUBLIC;
GRANT CONNECT ON DATABASE bff TO bff_app;
SQL
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname bff <<SQL
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
ALTER SCHEMA public OWNER TO bff_owner;
GRANT USAGE ON SCHEMA public TO bff_app;
ALTER DEFAULT PRIVILEGES FOR ROLE bff_owner IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO bff_app;
ALTER DEFAULT PRIVILEGES FOR ROLE bff_owner IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO bff_app;
SQL
