-- BFF audit log: who did what through the BFF (Odoo keeps its own audit of privileged actions).
CREATE TABLE bff_audit_log (
  id bigserial PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  trace_id text,
  actor_kind text,
  actor_id text,
  action text NOT NULL,
  target text,
  detail jsonb
);

CREATE INDEX bff_audit_log_at_idx ON bff_audit_log (at);
CREATE INDEX bff_audit_log_target_idx ON bff_audit_log (target, id);
