-- How many users each directory has, kept by triggers, so an unfiltered list's
-- `totalResults` is one row read instead of a walk over the directory's index (SQLite's
-- COUNT(*) visits every entry). SQLite has one writer, so the counter row costs no
-- contention.
CREATE TABLE directory_user_counts (
    directory_id TEXT PRIMARY KEY REFERENCES directories(id) ON DELETE CASCADE,
    users        BIGINT NOT NULL
);
INSERT INTO directory_user_counts (directory_id, users)
    SELECT directory_id, COUNT(*) FROM directory_users GROUP BY directory_id;

CREATE TRIGGER directory_users_counted AFTER INSERT ON directory_users
BEGIN
    INSERT INTO directory_user_counts (directory_id, users) VALUES (NEW.directory_id, 1)
        ON CONFLICT (directory_id) DO UPDATE SET users = users + 1;
END;

CREATE TRIGGER directory_users_uncounted AFTER DELETE ON directory_users
BEGIN
    UPDATE directory_user_counts SET users = users - 1 WHERE directory_id = OLD.directory_id;
END;
