-- userName is the directory's own identifier for a user (a UPN, a login name, an employee
-- id), unique in the directory ignoring case; the account's email comes from `emails`.
-- Until now userName was the account's email, so existing records take that.
ALTER TABLE directory_users ADD COLUMN user_name TEXT NOT NULL DEFAULT '';
ALTER TABLE directory_users ADD COLUMN user_name_lower TEXT NOT NULL DEFAULT '';
UPDATE directory_users SET
    user_name = COALESCE((SELECT a.email FROM accounts a WHERE a.id = directory_users.account_id), ''),
    user_name_lower = COALESCE((SELECT a.email_lower FROM accounts a WHERE a.id = directory_users.account_id), '');
-- An erased account has no email left; its records keep a userName no one else can hold.
UPDATE directory_users SET user_name = CAST(id AS TEXT), user_name_lower = CAST(id AS TEXT) WHERE user_name = '';
CREATE UNIQUE INDEX directory_users_user_name ON directory_users(directory_id, user_name_lower);
