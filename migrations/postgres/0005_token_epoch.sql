-- A counter that moves whenever any token changes (revoked, rebound or deleted, by any
-- process: the server, the CLI). Servers cache verified tokens in memory and read this
-- one row a few times a second instead of the token on every request; a change clears
-- their caches (docs/architecture.md, "Token cache").
CREATE TABLE token_epoch (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    epoch BIGINT NOT NULL
);
INSERT INTO token_epoch (id, epoch) VALUES (1, 0);

CREATE FUNCTION bump_token_epoch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE token_epoch SET epoch = epoch + 1 WHERE id = 1;
    RETURN NULL;
END
$$;

CREATE TRIGGER tokens_changed AFTER UPDATE OR DELETE ON tokens
    FOR EACH STATEMENT EXECUTE FUNCTION bump_token_epoch();
