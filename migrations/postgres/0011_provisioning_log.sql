-- The provisioning log (issue 12): one row per SCIM write a directory sent, whatever it came
-- to, for the org's admins to read when their identity provider reports a failure. Unlike
-- the audit log (append-only, kept forever, no emails) it holds the account's email and is
-- pruned after --provisioning-log-days. No request body is ever stored; `detail` is only
-- ever a refusal's own explanation of who can act.
-- No foreign keys: a row records what happened, and checking them would cost every SCIM
-- write a lookup per key.
CREATE TABLE provisioning_log (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at            TIMESTAMPTZ NOT NULL,
    org_id        UUID NOT NULL,
    directory_id  UUID NOT NULL,
    token_id      UUID NOT NULL,
    operation     TEXT NOT NULL CHECK (operation IN ('create', 'replace', 'patch', 'delete')),
    resource_type TEXT NOT NULL CHECK (resource_type IN ('User', 'Group')),
    resource_id   UUID,
    account_id    UUID,
    email         TEXT,
    email_lower   TEXT,
    outcome       TEXT NOT NULL
                  CHECK (outcome IN ('ok', 'refused', 'client_error', 'server_error')),
    changed       BOOLEAN,
    status        BIGINT,
    code          TEXT,
    detail        TEXT
);
-- Pages are newest first by id within the org, optionally narrowed to a directory, to the
-- failures (a small partial index: most writes succeed) or to one email.
CREATE INDEX provisioning_log_org ON provisioning_log(org_id, id);
CREATE INDEX provisioning_log_org_failures ON provisioning_log(org_id, id) WHERE outcome <> 'ok';
CREATE INDEX provisioning_log_directory ON provisioning_log(directory_id, id);
CREATE INDEX provisioning_log_email ON provisioning_log(email_lower, id)
    WHERE email_lower IS NOT NULL;
-- Deleting an account erases its email from the log (rule 11).
CREATE INDEX provisioning_log_account ON provisioning_log(account_id)
    WHERE account_id IS NOT NULL;
-- Pruning takes the oldest rows in bounded batches.
CREATE INDEX provisioning_log_at ON provisioning_log(at);
