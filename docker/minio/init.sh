#!/bin/sh
# storage-init (docker-compose.yml): runs after every `up`, idempotent. As the MinIO root user: the private media
# bucket, and the BFF's storage user S3_ACCESS_KEY_ID with only bff-media-policy.json — the README's policy: put, get
# and delete under work-orders/, list the bucket (so a missing object is a 404, not a 403). No anonymous access.
# Shell builtins and mc only (the mc image is minimal); scripts/deploy/storage-init.test.ts runs it with a fake mc.
set -eu
secrets="${SECRETS_DIR:-/run/secrets}"
here="${INIT_DIR:-/init}"
work="${TMPDIR:-/tmp}"
read -r root_user < "$secrets/minio_root_user"
read -r root_password < "$secrets/minio_root_password"
read -r bff_secret < "$secrets/s3_secret_access_key"
if [ "$S3_ACCESS_KEY_ID" = "$root_user" ]; then
  echo "storage-init: S3_ACCESS_KEY_ID must be the BFF's own user, not the root user" >&2
  exit 1
fi
if [ "${#bff_secret}" -lt 8 ]; then
  echo "storage-init: secrets/s3_secret_access_key must hold at least 8 characters" >&2
  exit 1
fi

mc alias set local http://minio:9000 "$root_user" "$root_password" >/dev/null
mc mb --ignore-existing "local/$S3_BUCKET"
mc anonymous set none "local/$S3_BUCKET"

# The policy file names the bucket as ${S3_BUCKET} (at most once a line).
while IFS= read -r line || [ -n "$line" ]; do
  case "$line" in
    *'${S3_BUCKET}'*) line="${line%%'${S3_BUCKET}'*}$S3_BUCKET${line#*'${S3_BUCKET}'}" ;;
  esac
  printf '%s\n' "$line"
done < "$here/bff-media-policy.json" > "$work/bff-media-policy.json"
mc admin policy create local drmoto-bff-media "$work/bff-media-policy.json"
# Adding an existing user sets its secret: rotating the key is editing the secret file and running this again.
mc admin user add local "$S3_ACCESS_KEY_ID" "$bff_secret"
if ! out="$(mc admin policy attach local drmoto-bff-media --user "$S3_ACCESS_KEY_ID" 2>&1)"; then
  case "$out" in
    *"already attached"*) ;;
    *) echo "$out" >&2; exit 1 ;;
  esac
fi
# TODO(backup issue 16): its anchor bucket belongs here — `mc mb --with-lock` and a default retention.
echo "storage-init: bucket $S3_BUCKET, user $S3_ACCESS_KEY_ID with policy drmoto-bff-media"
