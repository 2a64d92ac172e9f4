-- 0005 what a scan is given besides a target, and what it makes besides findings.
--
-- A DPIA scan is given a questionnaire (a JSON object, at most 256 KiB: checked by
-- dgp.domain.inputs before it is stored), a report the ids of earlier scans of the
-- same organisation (checked when the scan starts). No index covers either column,
-- so the updates that claim and finish a scan stay HOT (0003).

ALTER TABLE scans
    ADD COLUMN questionnaire jsonb,
    ADD COLUMN scan_ids uuid[] NOT NULL DEFAULT '{}';

-- What a scan makes besides findings (a report, a redacted image, screenshots, a data
-- map), stored here where every host can read it. Written with the scan's result, in
-- the transaction that writes its findings, and replaced with them (so a retried job
-- never doubles them); deleted with its scan, and so by retention. Sizes are bounded by
-- the settings artefact_max_bytes and scan_artefacts_max_bytes before anything is
-- written; the CHECKs only keep the recorded size honest.
CREATE TABLE artefacts (
    scan_id          uuid NOT NULL REFERENCES scans (id) ON DELETE CASCADE,
    organisation_id  uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    name             text NOT NULL CHECK (name <> '' AND strpos(name, '/') = 0),
    media_type       text NOT NULL,
    size             bigint NOT NULL CHECK (size = octet_length(data)),
    sha256           text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    data             bytea NOT NULL,
    PRIMARY KEY (scan_id, name)
);
-- Out of line and uncompressed, as upload chunks (0001): a download reads the value in
-- slices (substring), and only an uncompressed value can be sliced without reading it
-- all; images and PDFs would not compress anyway.
ALTER TABLE artefacts ALTER COLUMN data SET STORAGE EXTERNAL;

-- Retention: the janitor purges scans (their findings and artefacts go with them) and
-- uploads older than the setting retention_days, oldest first, a batch at a time. It
-- runs every minute, so it finds them by index; created_at never changes after the
-- insert, so these indexes keep the scans' updates HOT (0003).
CREATE INDEX scans_created_idx ON scans (created_at);
CREATE INDEX uploads_created_idx ON uploads (created_at);

-- Reports are scans of kind report now, their documents artefacts: this table of 0001
-- was never written.
DROP TABLE reports;
