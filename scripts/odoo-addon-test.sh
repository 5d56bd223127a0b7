#!/usr/bin/env bash
# Run the drmoto_workshop addon's Odoo tests on a fresh database.
#
# Needs an Odoo 18 (or 17, 19+) source tree (ODOO_SRC, default ../odoo18 next to the repo) with its Python
# dependencies importable by ODOO_PYTHON, and a PostgreSQL role that may create databases.
# It never builds or downloads Odoo. On an Odoo 17 tree it tests the addon's 17 build (scripts/odoo-addon-17.ts,
# README "Odoo versions"), made in a temporary folder.
#
#   ODOO_SRC=/path/to/odoo18 PGHOST=127.0.0.1 PGUSER=odoo PGPASSWORD=odoo scripts/odoo-addon-test.sh
#
# Env: ODOO_SRC, ODOO_PYTHON (default /usr/bin/python3 when present), PGHOST, PGPORT, PGUSER,
# PGPASSWORD, ODOO_TEST_DB (default a fresh drmoto_test_<time>_<pid>), ODOO_TEST_KEEP_DB=1 to keep it,
# ODOO_TEST_TAGS (default /drmoto_workshop), ODOO_TEST_LOG (default a temp file).
# Exit code: 0 only when Odoo exited 0, the summary line reports 0 failed / 0 error(s) of N>0 tests,
# and the log holds no ERROR or CRITICAL line.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ODOO_SRC="${ODOO_SRC:-$REPO_ROOT/../odoo18}"
if [[ -x /usr/bin/python3 ]]; then DEFAULT_PYTHON=/usr/bin/python3; else DEFAULT_PYTHON=python3; fi
ODOO_PYTHON="${ODOO_PYTHON:-$DEFAULT_PYTHON}"
PGHOST="${PGHOST:-127.0.0.1}"
PGPORT="${PGPORT:-5432}"
PGUSER="${PGUSER:-odoo}"
PGPASSWORD="${PGPASSWORD:-odoo}"
DB="${ODOO_TEST_DB:-drmoto_test_$(date +%s)_$$}"
TEST_TAGS="${ODOO_TEST_TAGS:-/drmoto_workshop}"
LOG="${ODOO_TEST_LOG:-$(mktemp -t drmoto-addon-test.XXXXXX.log)}"
MODULES="base,contacts,product,stock,account,drmoto_workshop"

if [[ ! -f "$ODOO_SRC/odoo-bin" ]]; then
  echo "odoo-addon-test: no Odoo source tree at ODOO_SRC=$ODOO_SRC (expected odoo-bin there)" >&2
  exit 2
fi
ODOO_SRC="$(cd "$ODOO_SRC" && pwd)"

# Odoo's own addons live in odoo/addons (base and all modules in some snapshots) and, in a
# git checkout of odoo/odoo, also in addons/.
ADDONS_PATH="$ODOO_SRC/odoo/addons"
if [[ -d "$ODOO_SRC/addons" ]]; then ADDONS_PATH="$ODOO_SRC/addons,$ADDONS_PATH"; fi
OUR_ADDONS="$REPO_ROOT/odoo-addons"
SERIES=$(sed -nE 's/^version_info = \(([0-9]+),.*/\1/p' "$ODOO_SRC/odoo/release.py")
if [[ "$SERIES" == 17 ]]; then
  OUR_ADDONS="$(mktemp -d -t drmoto-addons-17.XXXXXX)"
  (cd "$REPO_ROOT" && npx tsx scripts/odoo-addon-17.ts "$OUR_ADDONS") >&2
fi
ADDONS_PATH="$ADDONS_PATH,$OUR_ADDONS"

# --test-enable makes Odoo start its HTTP server even with --stop-after-init: use a free port so a
# running server on 8069 is not in the way.
HTTP_PORT="${ODOO_TEST_HTTP_PORT:-$("$ODOO_PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}"

drop_db() {
  PGPASSWORD="$PGPASSWORD" dropdb --if-exists -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" "$DB" >/dev/null 2>&1 || true
}
if [[ -z "${ODOO_TEST_KEEP_DB:-}" ]]; then trap drop_db EXIT; fi
drop_db

echo "odoo-addon-test: database $DB, Odoo $SERIES at $ODOO_SRC, log $LOG"
start=$(date +%s)
set +e
"$ODOO_PYTHON" "$ODOO_SRC/odoo-bin" \
  -d "$DB" --db_host "$PGHOST" --db_port "$PGPORT" --db_user "$PGUSER" --db_password "$PGPASSWORD" \
  --addons-path "$ADDONS_PATH" --http-port "$HTTP_PORT" --workers 0 --max-cron-threads 0 \
  -i "$MODULES" --test-enable --test-tags "$TEST_TAGS" --without-demo=all --stop-after-init \
  >"$LOG" 2>&1
rc=$?
set -e
elapsed=$(( $(date +%s) - start ))

# Log lines are "<date> <time> <pid> <LEVEL> <db> <logger>: <message>".
problems=$(grep -E '^[0-9-]+ [0-9:,]+ [0-9]+ (ERROR|CRITICAL) ' "$LOG" || true)
fail_lines=$(grep -E '^(FAIL|ERROR): ' "$LOG" || true)
summary=$(grep -E 'odoo\.tests\.result: [0-9]+ failed, [0-9]+ error\(s\) of [0-9]+ tests' "$LOG" | tail -n 1 || true)
post_tests=$(grep -E '[0-9]+ post-tests in ' "$LOG" | tail -n 1 || true)

status=0
if [[ $rc -ne 0 ]]; then echo "odoo-addon-test: odoo-bin exited with $rc" >&2; status=1; fi
if [[ -n "$problems" ]]; then
  echo "odoo-addon-test: ERROR/CRITICAL lines in the log:" >&2
  echo "$problems" | cut -c1-400 >&2
  status=1
fi
if [[ -n "$fail_lines" ]]; then echo "$fail_lines" >&2; status=1; fi
if [[ -z "$summary" ]]; then
  echo "odoo-addon-test: no test summary line in the log (did the module install?)" >&2
  status=1
elif ! [[ "$summary" =~ :\ 0\ failed,\ 0\ error\(s\)\ of\ ([0-9]+)\ tests ]] || [[ "${BASH_REMATCH[1]}" -eq 0 ]]; then
  status=1
fi

if [[ $status -ne 0 ]]; then
  echo "---- last 60 log lines ($LOG) ----" >&2
  tail -n 60 "$LOG" >&2
fi
echo "${post_tests#* INFO * }"
echo "${summary:-no summary} (${elapsed}s)"
if [[ $status -eq 0 ]]; then echo "odoo-addon-test: OK"; else echo "odoo-addon-test: FAILED" >&2; fi
exit $status
