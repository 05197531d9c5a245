-- scimd_fold is registered in Rust on every connection (store/sqlite_fold.rs), where it
-- calls the very function that folds filter values and shadow columns. This version keeps
-- the migration histories of both backends in step, and fails if the function is missing.
SELECT scimd_fold('SCIMD');
