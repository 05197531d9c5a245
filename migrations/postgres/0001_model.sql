-- The account and organization model of docs/domain.md.
-- Flags are integers, not BOOLEAN: sqlx's Any driver cannot read SQLite's BOOLEAN type.
-- Ids are UUID text, times are microseconds since the Unix epoch: the same on both
-- backends, so the store needs no per-dialect decoding.

CREATE TABLE organizations (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

-- A domain is verified by at most one org at a time (the primary key); moving it is an
-- UPDATE of org_id, which moves the management of every account on it at once (rule 20).
CREATE TABLE verified_domains (
    domain      TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    verified_at BIGINT NOT NULL
);
CREATE INDEX verified_domains_org ON verified_domains(org_id);

-- The managing org is never stored: it is the owner of email_domain in verified_domains.
-- email_lower is NULL only for tombstones, so erased accounts free their address.
CREATE TABLE accounts (
    id            TEXT PRIMARY KEY,
    email         TEXT,
    email_lower   TEXT UNIQUE,
    email_domain  TEXT,
    display_name  TEXT,
    profile       TEXT NOT NULL DEFAULT '{}',
    status        TEXT NOT NULL CHECK (status IN ('active', 'deactivated')),
    tombstoned_at BIGINT,
    deletion_scheduled_at BIGINT,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    version       BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX accounts_email_domain ON accounts(email_domain);
CREATE INDEX accounts_display_name ON accounts(display_name);

CREATE TABLE content_counters (
    account_id      TEXT PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    issues_reported BIGINT NOT NULL DEFAULT 0,
    issues_assigned BIGINT NOT NULL DEFAULT 0,
    comments        BIGINT NOT NULL DEFAULT 0,
    page_edits      BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE sites (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX sites_org ON sites(org_id);

CREATE TABLE site_products (
    site_id TEXT NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    product TEXT NOT NULL,
    PRIMARY KEY (site_id, product)
);

CREATE TABLE site_users (
    site_id    TEXT NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    access     TEXT NOT NULL CHECK (access IN ('active', 'invited', 'invite_not_sent', 'suspended', 'removed')),
    role       TEXT NOT NULL CHECK (role IN ('basic', 'trusted', 'site_admin')),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (site_id, account_id)
);
CREATE INDEX site_users_account ON site_users(account_id);

CREATE TABLE directories (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    -- For IdPs that push very large groups: group PATCH answers 204 instead of the group.
    group_patch_minimal BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE INDEX directories_org ON directories(org_id);

-- One SCIM user record per account a directory provisions; its id is the SCIM id, so ids
-- never leak between directories (rule 18). attributes holds what belongs to the directory's
-- record rather than to the account (externalId is a column because IdPs look it up).
CREATE TABLE directory_users (
    id           TEXT PRIMARY KEY,
    directory_id TEXT NOT NULL REFERENCES directories(id) ON DELETE CASCADE,
    account_id   TEXT NOT NULL REFERENCES accounts(id),
    external_id  TEXT,
    attributes   TEXT NOT NULL DEFAULT '{}',
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    version      BIGINT NOT NULL DEFAULT 1,
    UNIQUE (directory_id, account_id)
);
CREATE INDEX directory_users_external_id ON directory_users(directory_id, external_id);
CREATE INDEX directory_users_account ON directory_users(account_id);

-- Groups are local to the org or synced from exactly one directory (rule 19).
CREATE TABLE org_groups (
    id                 TEXT PRIMARY KEY,
    org_id             TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    directory_id       TEXT REFERENCES directories(id) ON DELETE CASCADE,
    display_name       TEXT NOT NULL,
    display_name_lower TEXT NOT NULL,
    external_id        TEXT,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL,
    version            BIGINT NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX org_groups_directory_name ON org_groups(directory_id, display_name_lower) WHERE directory_id IS NOT NULL;
CREATE UNIQUE INDEX org_groups_local_name ON org_groups(org_id, display_name_lower) WHERE directory_id IS NULL;
CREATE INDEX org_groups_directory_external_id ON org_groups(directory_id, external_id);

-- One row per membership, so adding or removing a member never rewrites the group.
CREATE TABLE group_members (
    group_id   TEXT NOT NULL REFERENCES org_groups(id) ON DELETE CASCADE,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    added_at   BIGINT NOT NULL,
    PRIMARY KEY (group_id, account_id)
);
CREATE INDEX group_members_account ON group_members(account_id);

CREATE TABLE group_grants (
    group_id TEXT NOT NULL REFERENCES org_groups(id) ON DELETE CASCADE,
    site_id  TEXT NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    product  TEXT NOT NULL,
    PRIMARY KEY (group_id, site_id, product)
);
CREATE INDEX group_grants_site ON group_grants(site_id);

-- HMAC keys for JWTs live in the database so every scimd process on it accepts the same
-- tokens; the oldest key is the signing key.
CREATE TABLE signing_keys (
    kid        TEXT PRIMARY KEY,
    secret     TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- Every token ever issued, so a jti can be revoked and listed without storing the token.
CREATE TABLE tokens (
    jti          TEXT PRIMARY KEY,
    kind         TEXT NOT NULL CHECK (kind IN ('directory', 'org_admin', 'site_admin', 'account')),
    directory_id TEXT REFERENCES directories(id) ON DELETE CASCADE,
    org_id       TEXT REFERENCES organizations(id) ON DELETE CASCADE,
    site_id      TEXT REFERENCES sites(id) ON DELETE CASCADE,
    account_id   TEXT REFERENCES accounts(id) ON DELETE CASCADE,
    issued_at    BIGINT NOT NULL,
    expires_at   BIGINT,
    revoked_at   BIGINT
);
CREATE INDEX tokens_directory ON tokens(directory_id);

CREATE TABLE audit_log (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          BIGINT NOT NULL,
    org_id      TEXT,
    account_id  TEXT,
    actor_kind  TEXT NOT NULL,
    actor_id    TEXT NOT NULL,
    action      TEXT NOT NULL,
    detail      TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_org ON audit_log(org_id, id);
CREATE INDEX audit_log_account ON audit_log(account_id, id);

CREATE FUNCTION audit_log_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
