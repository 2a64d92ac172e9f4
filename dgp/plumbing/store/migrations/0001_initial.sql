-- 0001 initial schema: tenants, users, tokens, uploads, scans, findings, reports, audit log.
--
-- Every row of tenant data carries organisation_id, so every query can be scoped by it
-- without a join. UUIDs come from gen_random_uuid() (core since PostgreSQL 13).

CREATE TABLE organisations (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name        text NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- E-mail addresses are stored lower-cased (the CHECK refuses anything else), so the
-- plain UNIQUE constraint is case-insensitive and lookups use WHERE email = lower(%s).
CREATE TABLE users (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organisation_id  uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    email            text NOT NULL UNIQUE CHECK (email = lower(email)),
    password_hash    text NOT NULL,
    role             text NOT NULL CHECK (role IN ('admin', 'analyst', 'viewer', 'auditor')),
    disabled         boolean NOT NULL DEFAULT false,
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX users_organisation_idx ON users (organisation_id);

-- Only a hash of a token is kept; revoking sets revoked_at (the row stays for the audit).
CREATE TABLE api_tokens (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id          uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    organisation_id  uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    name             text NOT NULL,
    token_hash       text NOT NULL UNIQUE,
    scopes           text[] NOT NULL DEFAULT '{}',
    created_at       timestamptz NOT NULL DEFAULT now(),
    last_used_at     timestamptz,
    revoked_at       timestamptz
);
CREATE INDEX api_tokens_user_idx ON api_tokens (user_id);
CREATE INDEX api_tokens_organisation_idx ON api_tokens (organisation_id);

-- An upload lives in Postgres, where scanners on every host can read it. Deleting one
-- removes its data (the chunks) and keeps the row, with deleted_at, as a record.
CREATE TABLE uploads (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organisation_id  uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    filename         text NOT NULL,
    size             bigint NOT NULL DEFAULT 0 CHECK (size >= 0),
    sha256           text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    deleted_at       timestamptz
);
CREATE INDEX uploads_organisation_idx ON uploads (organisation_id, created_at);

-- Bounded rows (1 MiB each) instead of one huge bytea: neither side ever holds a whole
-- upload in memory, and no single value comes near the 1 GB field limit.
CREATE TABLE upload_chunks (
    upload_id  uuid NOT NULL REFERENCES uploads (id) ON DELETE CASCADE,
    seq        integer NOT NULL CHECK (seq >= 0),
    data       bytea NOT NULL,
    PRIMARY KEY (upload_id, seq)
);
-- Out of line, uncompressed: uploads are mostly archives and PDFs that do not compress,
-- and pglz would spend CPU on every chunk finding that out.
ALTER TABLE upload_chunks ALTER COLUMN data SET STORAGE EXTERNAL;

CREATE TABLE scans (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organisation_id   uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    created_by        uuid REFERENCES users (id) ON DELETE SET NULL,
    kind              text NOT NULL,
    target            text NOT NULL,
    options           jsonb NOT NULL DEFAULT '{}',
    upload_id         uuid REFERENCES uploads (id) ON DELETE SET NULL,
    status            text NOT NULL DEFAULT 'queued'
                      CHECK (status IN ('queued', 'running', 'done', 'failed', 'degraded',
                                        'cancelled')),
    progress          integer NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
    progress_message  text NOT NULL DEFAULT '',
    created_at        timestamptz NOT NULL DEFAULT now(),
    started_at        timestamptz,
    finished_at       timestamptz,
    stats             jsonb,
    score             double precision,
    error             text,
    deliveries        integer NOT NULL DEFAULT 0
);
-- list_scans: newest first within one organisation
CREATE INDEX scans_organisation_created_idx ON scans (organisation_id, created_at DESC, id DESC);
CREATE INDEX scans_upload_idx ON scans (upload_id) WHERE upload_id IS NOT NULL;
CREATE INDEX scans_created_by_idx ON scans (created_by) WHERE created_by IS NOT NULL;
-- the janitor and /health: scans still waiting or running
CREATE INDEX scans_unfinished_idx ON scans (kind, status) WHERE status IN ('queued', 'running');

-- seq keeps the scanner's order (path, line, ...) so a listing reads like the scan's output.
CREATE TABLE findings (
    id               uuid PRIMARY KEY,
    scan_id          uuid NOT NULL REFERENCES scans (id) ON DELETE CASCADE,
    organisation_id  uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    seq              integer NOT NULL DEFAULT 0,
    scanner          text NOT NULL,
    rule_id          text NOT NULL,
    category         text NOT NULL,
    severity         text NOT NULL
                     CHECK (severity IN ('critical', 'high', 'medium', 'low', 'info')),
    confidence       double precision NOT NULL CHECK (confidence BETWEEN 0 AND 1),
    title            text NOT NULL,
    description      text NOT NULL DEFAULT '',
    location         jsonb NOT NULL DEFAULT '{}',
    evidence         text NOT NULL DEFAULT '',
    value_hash       text,
    legal_refs       jsonb NOT NULL DEFAULT '[]',
    remediation      text NOT NULL DEFAULT '',
    status           text NOT NULL DEFAULT 'open'
                     CHECK (status IN ('open', 'accepted_risk', 'false_positive', 'fixed')),
    fingerprint      text NOT NULL,
    extra            jsonb NOT NULL DEFAULT '{}',
    UNIQUE (scan_id, fingerprint)
);
CREATE INDEX findings_scan_seq_idx ON findings (scan_id, seq);
CREATE INDEX findings_scan_severity_idx ON findings (scan_id, severity);
CREATE INDEX findings_scan_rule_idx ON findings (scan_id, rule_id);
CREATE INDEX findings_scan_status_idx ON findings (scan_id, status);
-- baselines and trends: the same finding across an organisation's scans
CREATE INDEX findings_organisation_fingerprint_idx ON findings (organisation_id, fingerprint);

CREATE TABLE reports (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organisation_id  uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    scan_ids         uuid[] NOT NULL,
    format           text NOT NULL,
    language         text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    content          bytea
);
CREATE INDEX reports_organisation_created_idx ON reports (organisation_id, created_at DESC);

-- user_id has no foreign key on purpose: the log keeps naming a user after the user is gone.
CREATE TABLE audit_log (
    id               bigserial PRIMARY KEY,
    organisation_id  uuid REFERENCES organisations (id) ON DELETE CASCADE,
    user_id          uuid,
    action           text NOT NULL,
    object_type      text,
    object_id        text,
    details          jsonb NOT NULL DEFAULT '{}',
    at               timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_organisation_at_idx ON audit_log (organisation_id, at DESC);
