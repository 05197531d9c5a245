-- Index-backed SCIM lookups: displayName and emails.value compare case-insensitively, so
-- each gets a lower-cased shadow (computed in Rust, which folds all of Unicode; SQLite's
-- lower() folds only ASCII).
ALTER TABLE accounts ADD COLUMN display_name_lower TEXT;
UPDATE accounts SET display_name_lower = lower(display_name);
CREATE INDEX accounts_display_name_lower ON accounts(display_name_lower);
DROP INDEX accounts_display_name;

-- The account's `emails` values, one row each, mirrored from accounts.profile on every write.
CREATE TABLE account_emails (
    account_id  TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    position    BIGINT NOT NULL,
    value_lower TEXT NOT NULL,
    type_lower  TEXT,
    is_primary  BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, position)
);
CREATE INDEX account_emails_value ON account_emails(value_lower);

-- Listing a directory's users in creation order (the default order) walks this index.
CREATE INDEX directory_users_created ON directory_users(directory_id, created_at, id);
