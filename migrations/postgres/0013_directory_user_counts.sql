-- How many users each directory has, kept by triggers, so an unfiltered list's
-- `totalResults` reads a few rows instead of COUNT(*) over the directory, which costs the
-- database server time proportional to the directory's size on every page of a full sync.
-- A counter row updated in place would serialize concurrent creates on its row lock (and
-- add a lock that a Bulk transaction takes before its later ones, out of the one lock
-- order writers follow). So each user inserted or deleted adds a row of its own with the
-- change, locking nothing; the total is the sum of the directory's rows, exact in every
-- snapshot; and a background task folds them into one row per directory every second
-- (store/user_counts.rs).
CREATE TABLE directory_user_counts (
    -- No foreign key: its check would take a second lock on the directory's row in every
    -- create; the user row's own key already holds that the directory exists.
    directory_id uuid   NOT NULL,
    users        bigint NOT NULL
);
CREATE INDEX directory_user_counts_directory ON directory_user_counts(directory_id);
INSERT INTO directory_user_counts (directory_id, users)
    SELECT directory_id, COUNT(*) FROM directory_users GROUP BY directory_id;

CREATE FUNCTION directory_users_counted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO directory_user_counts (directory_id, users) VALUES (NEW.directory_id, 1);
    RETURN NULL;
END
$$;

CREATE FUNCTION directory_users_uncounted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO directory_user_counts (directory_id, users) VALUES (OLD.directory_id, -1);
    RETURN NULL;
END
$$;

CREATE TRIGGER directory_users_counted AFTER INSERT ON directory_users
    FOR EACH ROW EXECUTE FUNCTION directory_users_counted();
CREATE TRIGGER directory_users_uncounted AFTER DELETE ON directory_users
    FOR EACH ROW EXECUTE FUNCTION directory_users_uncounted();
