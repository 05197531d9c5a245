-- The admin API (issue 5): the site's own product groups and the email outbox.

-- Granting a product to a user through the admin API adds them to the site's own local group
-- for that product, so product access stays "the union of what the groups grant".
CREATE TABLE site_product_groups (
    site_id  TEXT NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    product  TEXT NOT NULL,
    group_id TEXT NOT NULL REFERENCES org_groups(id) ON DELETE CASCADE,
    PRIMARY KEY (site_id, product)
);
CREATE UNIQUE INDEX site_product_groups_group ON site_product_groups(group_id);

-- Emails to send. No address is stored: the sender reads the account's current email when
-- it delivers, so an erased account (rule 11) leaves no address behind here.
CREATE TABLE email_outbox (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('site_invitation')),
    site_id     TEXT NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    account_id  TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    status      TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'cancelled')),
    attempts    BIGINT NOT NULL DEFAULT 0,
    last_error  TEXT,
    created_at  BIGINT NOT NULL,
    claimed_at  BIGINT,
    sent_at     BIGINT
);
CREATE INDEX email_outbox_site ON email_outbox(site_id, created_at);
CREATE INDEX email_outbox_status ON email_outbox(status, created_at);
CREATE INDEX email_outbox_account ON email_outbox(account_id);

-- Tokens bound to an account (a site admin or trusted user signing in to one site).
CREATE INDEX tokens_account ON tokens(account_id);
