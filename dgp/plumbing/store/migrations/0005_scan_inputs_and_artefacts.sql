-- 0005 what a scan is given besides a target, and what it makes besides findings.
--
-- A DPIA scan is given a questionnaire (a JSON object, at most 256 KiB: checked by
-- dgp.domain.inputs before it is stored), a report the ids of earlier scans of the
-- same organisation (checked when the scan starts). No index covers either column,
-- so the updates that claim and finish a scan stay HOT (0003).

ALTER TABLE scans
    ADD COLUMN questionnaire jsonb,
    ADD COLUMN scan_ids uuid[] NOT NULL DEFAULT '{}';
