-- How many users each directory has, kept by triggers, so an unfiltered list's
-- `totalResults` reads a few rows instead of COUNT(*) over the directory, which costs the
-- database server time proportional to the directory's size on every page of a full sync.
-- A counter row updated in place would serialize concurrent creates on its row lock (and
-- add a lock that a Bulk transaction takes before its later ones, out of the one lock
-- order writers follow). So each statement that inserts or deletes users adds a row of
-- its own with the change, locking nothing; the total is the sum of the directory's rows,
-- exact in every snapshot; and a background task folds them into one row per directory
-- every second (store/user_counts.rs). The triggers run once per statement, not per row.
CREATE TABLE directory_user_counts (
    directory_id uuid   NOT NULL REFERENCES directories(id) ON DELETE CASCADE,
    users        bigint NOT NULL
);
CREATE INDEX directory_user_counts_directory ON directory_user_counts(directory_id);
INSERT INTO directory_user_counts (directory_id, users)
    SELECT directory_id, COUNT(*) FROM directory_users GROUP BY directory_id;

CREATE FUNCTION directory_users_counted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO directory_user_counts (directory_id, users)
        SELECT directory_id, COUNT(*) FROM changed GROUP BY directory_id;
    RETURN NULL;
END
$$;

-- A directory being deleted takes its counts with it: a row added for it now would refer
-- to a directory that is gone.
CREATE FUNCTION directory_users_uncounted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO directory_user_counts (directory_id, users)
        SELECT c.directory_id, -COUNT(*) FROM changed c
        WHERE EXISTS (SELECT 1 FROM directories d WHERE d.id = c.directory_id)
        GROUP BY c.directory_id;
    RETURN NULL;
END
$$;

CREATE TRIGGER directory_users_counted AFTER INSERT ON directory_users
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION directory_users_counted();
CREATE TRIGGER directory_users_uncounted AFTER DELETE ON directory_users
    REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION directory_users_uncounted();
