-- Security events out (issue 13, RFC 9967 SETs pushed per RFC 8935): the receivers an org
-- configures, the transactional outbox of events for them, and the key SETs are signed with.

-- A receiver: where to push, the Authorization header value to send (never shown in full,
-- never logged), which events (event_uris as given, event_mask as bits: see
-- domain::events::EventMask), and its delivery state. One process at a time delivers a
-- receiver's events, in order: the one holding the lease (lease_owner until
-- lease_expires_at). After a failure the whole queue waits until next_attempt_at.
CREATE TABLE event_receivers (
    id               TEXT PRIMARY KEY,
    org_id           TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    url              TEXT NOT NULL,
    audience         TEXT NOT NULL,
    auth_header      TEXT,
    event_uris       TEXT NOT NULL,
    event_mask       BIGINT NOT NULL,
    created_at       BIGINT NOT NULL,
    next_attempt_at  BIGINT NOT NULL,
    failures         BIGINT NOT NULL DEFAULT 0,
    last_success_at  BIGINT,
    last_error       TEXT,
    last_error_at    BIGINT,
    lease_owner      TEXT,
    lease_expires_at BIGINT
);
CREATE INDEX event_receivers_org ON event_receivers(org_id);

-- One SET to deliver to one receiver, written in the transaction of the change. `seq` is the
-- delivery order; the SET's jti is derived from the receiver and `seq`, so a retry carries
-- the same jti. `events` holds every form of the change's events (full and notice); the
-- receiver's subscription picks what is sent.
CREATE TABLE security_events (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    receiver_id   TEXT NOT NULL REFERENCES event_receivers(id) ON DELETE CASCADE,
    txn           TEXT NOT NULL,
    resource_type TEXT NOT NULL CHECK (resource_type IN ('User', 'Group')),
    resource_id   TEXT NOT NULL,
    external_id   TEXT,
    events        TEXT NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'rejected')),
    attempts      BIGINT NOT NULL DEFAULT 0,
    last_error    TEXT,
    created_at    BIGINT NOT NULL,
    delivered_at  BIGINT
);
CREATE INDEX security_events_queue ON security_events(receiver_id, state, seq);

-- The asymmetric key SETs are signed with (ES256), made on first start; its public half is
-- the JWKS at /.well-known/scimd/jwks.json.
CREATE TABLE set_signing_keys (
    kid         TEXT PRIMARY KEY,
    alg         TEXT NOT NULL,
    private_key TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

-- Moves whenever a receiver is added or removed, so every process learns within a poll
-- which orgs have receivers (a write of an org without any then costs no statement).
CREATE TABLE event_receiver_epoch (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    epoch BIGINT NOT NULL
);
INSERT INTO event_receiver_epoch (id, epoch) VALUES (1, 0);

CREATE TRIGGER event_receivers_added AFTER INSERT ON event_receivers
BEGIN
    UPDATE event_receiver_epoch SET epoch = epoch + 1 WHERE id = 1;
END;

CREATE TRIGGER event_receivers_removed AFTER DELETE ON event_receivers
BEGIN
    UPDATE event_receiver_epoch SET epoch = epoch + 1 WHERE id = 1;
END;
