-- 0002 browser sessions: an opaque id in a cookie, kept here only as its SHA-256.
--
-- A stolen copy of this table cannot be replayed as cookies. Sessions end at
-- expires_at (checked on every use) or when the user logs out or is disabled.

CREATE TABLE sessions (
    id_hash          text PRIMARY KEY,
    user_id          uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    organisation_id  uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    created_at       timestamptz NOT NULL DEFAULT now(),
    expires_at       timestamptz NOT NULL
);
CREATE INDEX sessions_user_idx ON sessions (user_id);
CREATE INDEX sessions_expires_idx ON sessions (expires_at);
