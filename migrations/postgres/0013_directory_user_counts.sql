-- How many users each directory has, kept by a trigger, so an unfiltered list's
-- `totalResults` reads a few rows instead of COUNT(*) over the directory's index, which
-- costs the database server time proportional to the directory's size on every page of a
-- full sync. One counter row per directory would serialize concurrent creates on its row
-- lock, so a directory has up to 16 counter slots and each connection adds to the slot of
-- its server process; the total is their sum, exact in every snapshot.
CREATE TABLE directory_user_counts (
    directory_id uuid     NOT NULL REFERENCES directories(id) ON DELETE CASCADE,
    slot         smallint NOT NULL,
    users        bigint   NOT NULL,
    PRIMARY KEY (directory_id, slot)
);
INSERT INTO directory_user_counts (directory_id, slot, users)
    SELECT directory_id, 0, COUNT(*) FROM directory_users GROUP BY directory_id;

CREATE FUNCTION directory_users_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO directory_user_counts (directory_id, slot, users)
            VALUES (NEW.directory_id, pg_backend_pid() % 16, 1)
            ON CONFLICT (directory_id, slot)
            DO UPDATE SET users = directory_user_counts.users + 1;
    -- A directory being deleted takes its counts with it; a slot row added for it now
    -- would refer to a directory that is gone.
    ELSIF EXISTS (SELECT 1 FROM directories WHERE id = OLD.directory_id) THEN
        INSERT INTO directory_user_counts (directory_id, slot, users)
            VALUES (OLD.directory_id, pg_backend_pid() % 16, -1)
            ON CONFLICT (directory_id, slot)
            DO UPDATE SET users = directory_user_counts.users - 1;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER directory_users_counted AFTER INSERT OR DELETE ON directory_users
    FOR EACH ROW EXECUTE FUNCTION directory_users_count();
