-- SQLite keeps per-directory user counts by trigger (its COUNT(*) walks the whole index).
-- PostgreSQL counts with an index-only scan instead: a counter row per directory would
-- serialize every concurrent create in a directory on that row's lock. This version keeps
-- the migration histories of both backends in step.
SELECT 1;
