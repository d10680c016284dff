-- Staff accounts of this node. A hall node holds its hall's staff; the settlement node
-- holds the centre's finance staff. Passwords are argon2id PHC strings.
CREATE TABLE staff_users (
    id              uuid        PRIMARY KEY,
    username        text        NOT NULL UNIQUE,
    display_name    text        NOT NULL,
    role            text        NOT NULL CHECK (role IN ('window_clerk', 'hall_staff', 'supervisor',
                                 'finance_preparer', 'finance_approver', 'admin')),
    hall            text        NOT NULL,
    password_hash   text        NOT NULL,
    totp_secret     bytea,                     -- sealed with the node's data key
    totp_key_id     text,
    failed_logins   int         NOT NULL DEFAULT 0,
    last_failure_at timestamptz,
    locked_until    timestamptz,
    disabled        boolean     NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

-- Browser sessions; only the hash of the session id is stored.
CREATE TABLE staff_sessions (
    id_hash     text        PRIMARY KEY,
    user_id     uuid        NOT NULL REFERENCES staff_users (id),
    csrf        text        NOT NULL,
    created_at  timestamptz NOT NULL,
    last_seen   timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL
);
CREATE INDEX staff_sessions_user ON staff_sessions (user_id);

-- API tokens for machine clients: hashed at rest, scoped to the owner's role, revocable.
CREATE TABLE api_tokens (
    id          text        PRIMARY KEY,       -- the public part of the token
    hash        text        NOT NULL UNIQUE,
    user_id     uuid        NOT NULL REFERENCES staff_users (id),
    name        text        NOT NULL,
    scopes      text[]      NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz,
    revoked_at  timestamptz,
    last_used   timestamptz
);
