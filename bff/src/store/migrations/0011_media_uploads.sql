-- Media uploads (DESIGN.md §10): the BFF's own record of every presigned upload, checked by `complete` before Odoo
-- hears of the object. Odoo holds the metadata of completed media (drmoto.work.order.media); a presign that is never
-- completed stays here only (state pending → expired by housekeeping, its object deleted).
CREATE TABLE media_uploads (
  id             uuid        PRIMARY KEY,
  work_order_id  int         NOT NULL,
  shop_id        int,
  -- The exact object key the upload was signed for: work-orders/<work order>/<uuid>.<ext>.
  object_key     text        NOT NULL,
  filename       text        NOT NULL,
  content_type   text        NOT NULL,
  size           bigint      NOT NULL,
  kind           text        NOT NULL,
  method         text        NOT NULL,
  -- principalKey() of who presigned; only they complete it.
  principal      text        NOT NULL,
  state          text        NOT NULL DEFAULT 'pending',
  expires_at     timestamptz NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  completed_at   timestamptz,
  odoo_media_id  int,
  reject_code    text,
  reject_reason  text,
  CONSTRAINT media_uploads_object_key_key UNIQUE (object_key),
  CONSTRAINT media_uploads_object_key_check CHECK (object_key LIKE 'work-orders/' || work_order_id || '/%'),
  CONSTRAINT media_uploads_size_check CHECK (size > 0),
  CONSTRAINT media_uploads_method_check CHECK (method IN ('POST', 'PUT')),
  CONSTRAINT media_uploads_kind_check CHECK (kind IN ('checkin_photo', 'damage', 'repair_evidence', 'other')),
  CONSTRAINT media_uploads_state_check CHECK (state IN ('pending', 'completed', 'rejected', 'expired')),
  CONSTRAINT media_uploads_completed_check CHECK ((state = 'completed') = (odoo_media_id IS NOT NULL AND completed_at IS NOT NULL))
);

CREATE INDEX media_uploads_work_order_idx ON media_uploads (work_order_id, created_at);
CREATE INDEX media_uploads_pending_idx ON media_uploads (expires_at) WHERE state = 'pending';

-- The application role (0006): read and write; no sequence (ids are UUIDs made by the BFF).
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'drmoto_app') THEN
    GRANT SELECT, INSERT, UPDATE, DELETE ON media_uploads TO drmoto_app;
  END IF;
EXCEPTION WHEN undefined_object OR insufficient_privilege THEN
  RAISE NOTICE 'media_uploads: grants to drmoto_app skipped';
END
$$;
