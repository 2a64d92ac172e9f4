-- Logins are unique per organisation, not across all of them: an organisation's admin
-- who adds a user must not learn that the address has an account elsewhere (a 409
-- "exists already" told them). Sign-in finds the address's accounts and signs in to
-- the one whose password matches (the organisation may be named when several do).
ALTER TABLE users DROP CONSTRAINT users_email_key;
ALTER TABLE users ADD CONSTRAINT users_organisation_email_key UNIQUE (organisation_id, email);
CREATE INDEX users_email_idx ON users (email);
