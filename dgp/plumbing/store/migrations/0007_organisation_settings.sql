-- 0007 what an organisation's admins allow for their organisation's scans.
--
-- allow_active_scans: scans that change things on their target (the API scanner's
-- active mode: mutating requests and attack probes) may be started only when an admin
-- of the organisation has turned this on (PATCH /api/v1/organisation). Off by default:
-- a passive scan is the only kind an analyst can start until then.
ALTER TABLE organisations
    ADD COLUMN allow_active_scans boolean NOT NULL DEFAULT false;
