-- Native types: ids become uuid, JSON documents jsonb, flags boolean and times timestamptz
-- (they were UUID text, JSON text, 0/1 bigint and bigint microseconds since the Unix
-- epoch, forms chosen when both backends went through sqlx's Any driver). Existing rows
-- are converted in place; microseconds convert exactly.
--
-- A column's type cannot change while a foreign key ties it to a column of the old type,
-- so every foreign key is dropped first and recreated, as it was defined, at the end.
-- Indexes, unique constraints and primary keys on converted columns are rebuilt by
-- ALTER COLUMN ... TYPE itself. Rewriting a table fires no row triggers, so the
-- append-only audit log and the token epoch are untouched.

CREATE TEMPORARY TABLE native_types_fks ON COMMIT DROP AS
SELECT conrelid::regclass::text AS tbl, conname, pg_get_constraintdef(oid) AS def
FROM pg_constraint
WHERE contype = 'f' AND connamespace = current_schema()::regnamespace;

DO $$
DECLARE fk record;
BEGIN
    FOR fk IN SELECT * FROM native_types_fks LOOP
        EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', fk.tbl, fk.conname);
    END LOOP;
END
$$;

-- bigint microseconds since the Unix epoch -> timestamptz, exactly.
CREATE FUNCTION pg_temp.micros_to_timestamptz(us bigint) RETURNS timestamptz
LANGUAGE sql IMMUTABLE AS $$ SELECT timestamptz 'epoch' + us * interval '1 microsecond' $$;

ALTER TABLE organizations
    ALTER COLUMN id TYPE uuid USING id::uuid,
    ALTER COLUMN created_at TYPE timestamptz USING pg_temp.micros_to_timestamptz(created_at);

ALTER TABLE verified_domains
    ALTER COLUMN org_id TYPE uuid USING org_id::uuid,
    ALTER COLUMN verified_at TYPE timestamptz USING pg_temp.micros_to_timestamptz(verified_at);

ALTER TABLE accounts ALTER COLUMN profile DROP DEFAULT;
ALTER TABLE accounts
    ALTER COLUMN id TYPE uuid USING id::uuid,
    ALTER COLUMN profile TYPE jsonb USING profile::jsonb,
    ALTER COLUMN tombstoned_at TYPE timestamptz USING pg_temp.micros_to_timestamptz(tombstoned_at),
    ALTER COLUMN deletion_scheduled_at TYPE timestamptz
        USING pg_temp.micros_to_timestamptz(deletion_scheduled_at),
    ALTER COLUMN created_at TYPE timestamptz USING pg_temp.micros_to_timestamptz(created_at),
    ALTER COLUMN updated_at TYPE timestamptz USING pg_temp.micros_to_timestamptz(updated_at);
ALTER TABLE accounts ALTER COLUMN profile SET DEFAULT '{}'::jsonb;

ALTER TABLE content_counters
    ALTER COLUMN account_id TYPE uuid USING account_id::uuid;

ALTER TABLE sites
    ALTER COLUMN id TYPE uuid USING id::uuid,
    ALTER COLUMN org_id TYPE uuid USING org_id::uuid,
    ALTER COLUMN created_at TYPE timestamptz USING pg_temp.micros_to_timestamptz(created_at);

ALTER TABLE site_products
    ALTER COLUMN site_id TYPE uuid USING site_id::uuid;

ALTER TABLE site_users
    ALTER COLUMN site_id TYPE uuid USING site_id::uuid,
    ALTER COLUMN account_id TYPE uuid USING account_id::uuid,
    ALTER COLUMN created_at TYPE timestamptz USING pg_temp.micros_to_timestamptz(created_at),
    ALTER COLUMN updated_at TYPE timestamptz USING pg_temp.micros_to_timestamptz(updated_at);

ALTER TABLE directories ALTER COLUMN group_patch_minimal DROP DEFAULT;
ALTER TABLE directories
    ALTER COLUMN id TYPE uuid USING id::uuid,
    ALTER COLUMN org_id TYPE uuid USING org_id::uuid,
    ALTER COLUMN group_patch_minimal TYPE boolean USING group_patch_minimal <> 0,
    ALTER COLUMN created_at TYPE timestamptz USING pg_temp.micros_to_timestamptz(created_at);
ALTER TABLE directories ALTER COLUMN group_patch_minimal SET DEFAULT false;

ALTER TABLE directory_users ALTER COLUMN attributes DROP DEFAULT;
ALTER TABLE directory_users
    ALTER COLUMN id TYPE uuid USING id::uuid,
    ALTER COLUMN directory_id TYPE uuid USING directory_id::uuid,
    ALTER COLUMN account_id TYPE uuid USING account_id::uuid,
    ALTER COLUMN attributes TYPE jsonb USING attributes::jsonb,
    ALTER COLUMN created_at TYPE timestamptz USING pg_temp.micros_to_timestamptz(created_at),
    ALTER COLUMN updated_at TYPE timestamptz USING pg_temp.micros_to_timestamptz(updated_at);
ALTER TABLE directory_users ALTER COLUMN attributes SET DEFAULT '{}'::jsonb;

ALTER TABLE org_groups
    ALTER COLUMN id TYPE uuid USING id::uuid,
    ALTER COLUMN org_id TYPE uuid USING org_id::uuid,
    ALTER COLUMN directory_id TYPE uuid USING directory_id::uuid,
    ALTER COLUMN created_at TYPE timestamptz USING pg_temp.micros_to_timestamptz(created_at),
    ALTER COLUMN updated_at TYPE timestamptz USING pg_temp.micros_to_timestamptz(updated_at);

ALTER TABLE group_members
    ALTER COLUMN group_id TYPE uuid USING group_id::uuid,
    ALTER COLUMN account_id TYPE uuid USING account_id::uuid,
    ALTER COLUMN added_at TYPE timestamptz USING pg_temp.micros_to_timestamptz(added_at);

ALTER TABLE group_grants
    ALTER COLUMN group_id TYPE uuid USING group_id::uuid,
    ALTER COLUMN site_id TYPE uuid USING site_id::uuid;

ALTER TABLE signing_keys
    ALTER COLUMN created_at TYPE timestamptz USING pg_temp.micros_to_timestamptz(created_at);

ALTER TABLE tokens
    ALTER COLUMN jti TYPE uuid USING jti::uuid,
    ALTER COLUMN directory_id TYPE uuid USING directory_id::uuid,
    ALTER COLUMN org_id TYPE uuid USING org_id::uuid,
    ALTER COLUMN site_id TYPE uuid USING site_id::uuid,
    ALTER COLUMN account_id TYPE uuid USING account_id::uuid,
    ALTER COLUMN issued_at TYPE timestamptz USING pg_temp.micros_to_timestamptz(issued_at),
    ALTER COLUMN expires_at TYPE timestamptz USING pg_temp.micros_to_timestamptz(expires_at),
    ALTER COLUMN revoked_at TYPE timestamptz USING pg_temp.micros_to_timestamptz(revoked_at);

-- actor_id stays text: actors are not all UUIDs (the CLI, the system).
ALTER TABLE audit_log ALTER COLUMN detail DROP DEFAULT;
ALTER TABLE audit_log
    ALTER COLUMN at TYPE timestamptz USING pg_temp.micros_to_timestamptz(at),
    ALTER COLUMN org_id TYPE uuid USING org_id::uuid,
    ALTER COLUMN account_id TYPE uuid USING account_id::uuid,
    ALTER COLUMN detail TYPE jsonb USING detail::jsonb;
ALTER TABLE audit_log ALTER COLUMN detail SET DEFAULT '{}'::jsonb;

ALTER TABLE account_emails ALTER COLUMN is_primary DROP DEFAULT;
ALTER TABLE account_emails
    ALTER COLUMN account_id TYPE uuid USING account_id::uuid,
    ALTER COLUMN is_primary TYPE boolean USING is_primary <> 0;
ALTER TABLE account_emails ALTER COLUMN is_primary SET DEFAULT false;

ALTER TABLE site_product_groups
    ALTER COLUMN site_id TYPE uuid USING site_id::uuid,
    ALTER COLUMN group_id TYPE uuid USING group_id::uuid;

ALTER TABLE email_outbox
    ALTER COLUMN id TYPE uuid USING id::uuid,
    ALTER COLUMN site_id TYPE uuid USING site_id::uuid,
    ALTER COLUMN account_id TYPE uuid USING account_id::uuid,
    ALTER COLUMN created_at TYPE timestamptz USING pg_temp.micros_to_timestamptz(created_at),
    ALTER COLUMN claimed_at TYPE timestamptz USING pg_temp.micros_to_timestamptz(claimed_at),
    ALTER COLUMN sent_at TYPE timestamptz USING pg_temp.micros_to_timestamptz(sent_at);

DO $$
DECLARE fk record;
BEGIN
    FOR fk IN SELECT * FROM native_types_fks LOOP
        EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I %s', fk.tbl, fk.conname, fk.def);
    END LOOP;
END
$$;

-- Incremental syncs (Okta, Entra ID) ask for what changed since their last run:
-- `meta.lastModified gt "<time>"` within one directory.
CREATE INDEX directory_users_updated ON directory_users(directory_id, updated_at);
CREATE INDEX org_groups_directory_updated ON org_groups(directory_id, updated_at);
