-- 0005 credentials that scans need (database passwords, API and git tokens, basic auth),
-- encrypted at rest (dgp.plumbing.credential_cipher: AES-256-GCM, the key in
-- secrets.conf, never in the database).
--
-- key_id names the key that sealed the row (rotation re-seals the rows whose key_id
-- is not the current one). The ciphertext is bound to id, organisation_id and kind
-- by the cipher's associated data, so it cannot be moved to another row.

CREATE TABLE credentials (
    id               uuid PRIMARY KEY,
    organisation_id  uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    kind             text NOT NULL
                     CHECK (kind IN ('database_password', 'api_token', 'git_token',
                                     'basic_auth')),
    key_id           text NOT NULL,
    nonce            bytea NOT NULL CHECK (octet_length(nonce) = 12),
    ciphertext       bytea NOT NULL,
    created_by       uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    last_used_at     timestamptz,
    UNIQUE (organisation_id, name),
    -- the target of scans' foreign key below, which keeps a scan and its credential
    -- in one organisation
    UNIQUE (id, organisation_id)
);

-- A scan names its credential by id; the database itself refuses one of another
-- organisation. Deleting a credential cancels the queued and running scans that use
-- it (dgp.plumbing.store.credentials) and clears the reference of finished ones
-- (SET NULL on that column only: organisation_id stays).
ALTER TABLE scans ADD COLUMN credential_id uuid;
ALTER TABLE scans ADD CONSTRAINT scans_credential_fkey
    FOREIGN KEY (credential_id, organisation_id)
    REFERENCES credentials (id, organisation_id)
    ON DELETE SET NULL (credential_id);
CREATE INDEX scans_credential_idx ON scans (credential_id) WHERE credential_id IS NOT NULL;
