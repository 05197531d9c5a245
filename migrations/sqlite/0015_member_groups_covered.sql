-- A user's groups are read by account on every lookup; with the group id in the index the
-- lookup reads no row of group_members (one B-tree page fewer, mostly a cold one, per
-- membership). Every use of the old index leads with account_id as this one does.
CREATE INDEX group_members_account_group ON group_members(account_id, group_id);
DROP INDEX group_members_account;
