-- Refresh-token rotation: each refresh token (by its jti) is usable once; reuse revokes the subject's tokens.
CREATE TABLE auth_refresh_tokens (
  jti         uuid PRIMARY KEY,
  subject     text        NOT NULL,
  issued_at   timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL,
  used_at     timestamptz,
  revoked_at  timestamptz
);
CREATE INDEX auth_refresh_tokens_subject_idx ON auth_refresh_tokens (subject) WHERE revoked_at IS NULL;
CREATE INDEX auth_refresh_tokens_expires_idx ON auth_refresh_tokens (expires_at);
