#!/bin/bash
# Runs once, when the `odoo-db` volume is created, as the cluster's superuser (POSTGRES_USER=postgres): Odoo gets a
# role of its own that is not a superuser (the image would otherwise make POSTGRES_USER, i.e. Odoo, the superuser).
set -euo pipefail
secrets="${SECRETS_DIR:-/run/secrets}"
here="${INIT_DIR:-/docker-entrypoint-initdb.d}"
ODOO_DB_PASSWORD="$(head -n1 "$secrets/odoo_db_password")" \
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v odoo_role="${ODOO_DB_USER:-odoo}" -f "$here/odoo-role.psql"
