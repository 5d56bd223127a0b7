#!/bin/bash
# Runs once, when the `db` volume is created (the postgres image's /docker-entrypoint-initdb.d), as its superuser.
# The roles, passwords and database come from the two URL secrets the BFF itself reads, so each password is written
# once: bff_database_url (app role, DATABASE_URL_FILE) and bff_database_migration_url (owner, for `migrate`).
# Passwords must be URL-safe as written (`openssl rand -hex 24`): no percent-decoding here.
set -euo pipefail
# Overridable so scripts/deploy/postgres-roles.test.ts runs this very script against a scratch database.
secrets="${SECRETS_DIR:-/run/secrets}"
here="${INIT_DIR:-/docker-entrypoint-initdb.d}"

parse_url() { # file → sets url_user url_password url_db
  local url rest creds
  url="$(head -n1 "$1")"
  rest="${url#*://}"
  creds="${rest%%@*}"
  url_user="${creds%%:*}"
  url_password="${creds#*:}"
  url_db="${rest#*/}"
  url_db="${url_db%%\?*}"
  if [[ -z "$url_user" || -z "$url_password" || "$creds" != *:* || -z "$url_db" || "$url_password" == *%* ]]; then
    echo "10-bff.sh: $1 must be postgres://<user>:<url-safe password>@db:5432/<database>" >&2
    exit 1
  fi
}

parse_url "$secrets/bff_database_migration_url"
owner_role="$url_user" BFF_OWNER_PASSWORD="$url_password" owner_db="$url_db"
parse_url "$secrets/bff_database_url"
app_role="$url_user" BFF_APP_PASSWORD="$url_password"
if [[ "$url_db" != "$owner_db" ]]; then
  echo "10-bff.sh: the two BFF URLs name different databases ($owner_db, $url_db)" >&2
  exit 1
fi
if [[ "$owner_role" == "$app_role" ]]; then
  echo "10-bff.sh: the app role must not be the owner ($owner_role)" >&2
  exit 1
fi

BFF_OWNER_PASSWORD="$BFF_OWNER_PASSWORD" BFF_APP_PASSWORD="$BFF_APP_PASSWORD" \
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v owner_role="$owner_role" -v app_role="$app_role" -v db_name="$owner_db" \
  -f "$here/bff-roles.psql"
