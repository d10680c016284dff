-- The transactional outbox: a business change and the messages it causes commit
-- together; the relay claims unsent rows with a lease and FOR UPDATE SKIP LOCKED.
CREATE TABLE outbox (
    id          uuid        PRIMARY KEY,             -- the envelope id (UUIDv7)
    pos         bigserial   NOT NULL UNIQUE,         -- commit-ish order for the relay
    topic       text        NOT NULL,
    key         text        NOT NULL,
    value       bytea       NOT NULL,
    headers     jsonb       NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now(),
    lease_until timestamptz,
    attempts    int         NOT NULL DEFAULT 0,
    last_error  text,
    sent_at     timestamptz
);
CREATE INDEX outbox_unsent ON outbox (pos) WHERE sent_at IS NULL;

-- The inbox: a message id is inserted in the same transaction that applies it, so a
-- redelivered message finds its id and changes nothing.
CREATE TABLE inbox (
    message_id  uuid        PRIMARY KEY,
    type        text        NOT NULL,
    sender      text        NOT NULL,
    case_id     uuid,
    seq         bigint,
    received_at timestamptz NOT NULL DEFAULT now()
);

-- Messages that arrived ahead of an earlier message of the same case wait here until
-- the gap is filled, so each case's messages apply in the sender's order.
CREATE TABLE inbox_pending (
    case_id    uuid        NOT NULL,
    sender     text        NOT NULL,
    seq        bigint      NOT NULL,
    message_id uuid        NOT NULL UNIQUE,
    value      bytea       NOT NULL,
    parked_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (case_id, sender, seq)
);

-- Quarantine: what failed a check never reaches a case; operators see it and may replay it.
CREATE TABLE quarantine (
    id            bigserial   PRIMARY KEY,
    received_at   timestamptz NOT NULL DEFAULT now(),
    topic         text        NOT NULL,
    kafka_partition int       NOT NULL,
    kafka_offset  bigint      NOT NULL,
    key           text        NOT NULL DEFAULT '',
    value         bytea       NOT NULL,
    headers       jsonb       NOT NULL DEFAULT '{}',
    reason        text        NOT NULL,
    detail        text        NOT NULL DEFAULT '',
    replayed_at   timestamptz,
    replay_result text,
    UNIQUE (topic, kafka_partition, kafka_offset)
);
