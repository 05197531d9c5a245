-- PostgreSQL's per-directory user counts (SQLite has kept its own since migration 0006).
-- This version keeps the migration histories of both backends in step.
SELECT 1;
