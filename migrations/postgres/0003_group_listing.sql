-- Listing a directory's groups in creation order (the default order) walks this index.
CREATE INDEX org_groups_directory_created ON org_groups(directory_id, created_at);
