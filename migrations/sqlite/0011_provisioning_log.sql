-- The provisioning log (issue 12): one row per SCIM write a directory sent, whatever it came
-- to, for the org's admins to read when their identity provider reports a failure. Unlike
-- the audit log (append-only, kept forever, no emails) it holds the account's email and is
-- pruned after --provisioning-log-days. No request body is ever stored; `detail` is only
-- ever a refusal's own explanation of who can act.
-- No foreign keys: a row records what happened, and checking them would cost every SCIM
-- write a lookup per key.
CREATE TABLE provisioning_log (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    at            INTEGER NOT NULL,
    org_id        TEXT NOT NULL,
    directory_id  TEXT NOT NULL,
    token_id      TEXT NOT NULL,
    operation     TEXT NOT NULL CHECK (operation IN ('create', 'replace', 'patch', 'delete')),
    resource_type TEXT NOT NULL CHECK (resource_type IN ('User', 'Group')),
    resource_id   TEXT,
    account_id    TEXT,
    email         TEXT,
    email_lower   TEXT,
    outcome       TEXT NOT NULL
                  CHECK (outcome IN ('ok', 'refused', 'client_error', 'server_error')),
    changed       INTEGER,
    status        INTEGER,
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

-- A transaction's audit entries and its provisioning entry are written at commit in one
-- statement. PostgreSQL puts one INSERT in the other's WITH; SQLite allows no INSERT
-- there, so it inserts into this view, whose trigger files each row in its table.
CREATE VIEW log_journal AS SELECT
    NULL AS kind, NULL AS at, NULL AS org_id, NULL AS directory_id, NULL AS token_id,
    NULL AS operation, NULL AS resource_type, NULL AS resource_id, NULL AS account_id,
    NULL AS email, NULL AS email_lower, NULL AS outcome, NULL AS changed, NULL AS status,
    NULL AS code, NULL AS detail,
    NULL AS actor_kind, NULL AS actor_id, NULL AS action, NULL AS audit_detail
WHERE 0;
CREATE TRIGGER log_journal_insert INSTEAD OF INSERT ON log_journal
BEGIN
    INSERT INTO audit_log (at, org_id, account_id, actor_kind, actor_id, action, detail)
    SELECT NEW.at, NEW.org_id, NEW.account_id, NEW.actor_kind, NEW.actor_id, NEW.action,
           NEW.audit_detail
    WHERE NEW.kind = 'audit';
    INSERT INTO provisioning_log (at, org_id, directory_id, token_id, operation, resource_type,
                                  resource_id, account_id, email, email_lower, outcome, changed,
                                  status, code, detail)
    SELECT NEW.at, NEW.org_id, NEW.directory_id, NEW.token_id, NEW.operation, NEW.resource_type,
           NEW.resource_id, NEW.account_id, NEW.email, NEW.email_lower, NEW.outcome, NEW.changed,
           NEW.status, NEW.code, NEW.detail
    WHERE NEW.kind = 'provisioning';
END;
