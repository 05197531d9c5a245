-- PostgreSQL's migration 0014 adds a function that changes a group's members in one
-- statement, so that the group's row lock is held for no round trip. SQLite runs every
-- write on its one writer, which no other transaction waits on a lock inside: nothing to add.
SELECT 1;
