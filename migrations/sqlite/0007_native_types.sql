-- PostgreSQL moves to its native types here (uuid, jsonb, boolean, timestamptz). SQLite
-- keeps UUID text, JSON text, 0/1 integers and integer microseconds, which are already
-- its native forms. This version keeps the migration histories of both backends in step.
SELECT 1;
