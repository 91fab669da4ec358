-- Credentials and sessions. Agents and console users log in for a short-lived access token
-- (a JWT, never stored) and a rotating refresh token. Every login starts a token family; each
-- refresh spends one token of the family and issues the next. Presenting a spent token again
-- means it was copied: the whole family is revoked (access tokens carry the family id, so the
-- cloud stops honouring them too).
CREATE TABLE auth_families (
  id uuid PRIMARY KEY,
  subject_kind text NOT NULL CHECK (subject_kind IN ('agent', 'user')),
  subject_id uuid NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz,
  revoked_reason text
);
CREATE INDEX auth_families_subject ON auth_families (subject_kind, subject_id) WHERE revoked_at IS NULL;

-- Only the SHA-256 of a refresh token is kept: a copy of this table logs nobody in.
CREATE TABLE refresh_tokens (
  token_hash text PRIMARY KEY CHECK (token_hash ~ '^[0-9a-f]{64}$'),
  family_id uuid NOT NULL REFERENCES auth_families (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  used_at timestamptz
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);

-- When an agent was disabled and why (agents.disabled is the switch itself).
ALTER TABLE agents ADD COLUMN disabled_at timestamptz;

-- The audit log is read by admins filtering on who, what and when, newest first.
CREATE INDEX audit_log_actor ON audit_log (actor, id);
CREATE INDEX audit_log_action ON audit_log (action, id);
