-- 0003 every scan row is updated two or three times (claimed, progress, result):
-- let those updates stay on the row's page without touching any index.
--
-- scans_unfinished_idx was read by no query, but because it is on `status` every
-- change of status had to write a new entry into every index of the table. Without
-- it no index covers a column that those updates change, so Postgres can update
-- in place (a HOT update) when the page has room; fillfactor keeps room free on
-- new pages for that.

DROP INDEX IF EXISTS scans_unfinished_idx;
ALTER TABLE scans SET (fillfactor = 80);
