-- The matter catalogue this hall accepts at its windows (loaded from a versioned data
-- file, editable through the API).
CREATE TABLE matters (
    code              text        PRIMARY KEY,
    name              text        NOT NULL,
    deciding_city     text        NOT NULL,
    department        text        NOT NULL,
    case_type         smallint    NOT NULL CHECK (case_type IN (1, 2)),
    legal_limit       int         NOT NULL CHECK (legal_limit > 0),
    promised_limit    int         NOT NULL CHECK (promised_limit > 0),
    limit_unit        text        NOT NULL CHECK (limit_unit IN ('working', 'natural')),
    courier           boolean     NOT NULL,
    materials         jsonb       NOT NULL,
    version           int         NOT NULL DEFAULT 1,
    catalogue_version text        NOT NULL,
    updated_at        timestamptz NOT NULL DEFAULT now(),
    updated_by        text        NOT NULL DEFAULT 'catalogue'
);

-- Both halls keep a copy of every case they share; the copies converge through the
-- signed messages. out_seq numbers the messages this hall sent about the case, in_seq
-- the last one applied from the partner.
CREATE TABLE cases (
    id               uuid        PRIMARY KEY,
    case_no          text        NOT NULL UNIQUE,
    origin           text        NOT NULL,
    destination      text        NOT NULL,
    matter_code      text        NOT NULL,
    matter_name      text        NOT NULL,
    department       text        NOT NULL,
    case_type        smallint    NOT NULL,
    legal_limit      int         NOT NULL,
    promised_limit   int         NOT NULL,
    limit_unit       text        NOT NULL,
    applicant        jsonb       NOT NULL,
    materials        jsonb       NOT NULL,
    missing          jsonb       NOT NULL DEFAULT '[]',
    commitment_date  date,
    state            text        NOT NULL,
    seal_no          text,
    waybill          text,
    manifest         jsonb,
    exception        jsonb,
    result           jsonb,
    clerk            text        NOT NULL,
    out_seq          bigint      NOT NULL DEFAULT 0,
    in_seq           bigint      NOT NULL DEFAULT 0,
    intake_at        timestamptz NOT NULL,
    state_changed_at timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL
);
CREATE INDEX cases_origin_state ON cases (origin, state);
CREATE INDEX cases_destination_state ON cases (destination, state);
CREATE INDEX cases_waybill ON cases (waybill) WHERE waybill IS NOT NULL;

-- The case timeline and audit trail: every change, who made it, from and to which state.
CREATE TABLE case_events (
    id          bigserial   PRIMARY KEY,
    case_id     uuid        NOT NULL REFERENCES cases (id),
    at          timestamptz NOT NULL,
    hall        text        NOT NULL,
    actor       text        NOT NULL,
    action      text        NOT NULL,
    from_state  text,
    to_state    text,
    message_id  uuid,
    detail      jsonb       NOT NULL DEFAULT '{}'
);
CREATE INDEX case_events_case ON case_events (case_id, id);

-- One-time notices (一次性告知书) and refusals at intake: recorded, but not cases.
CREATE TABLE notices (
    id          uuid        PRIMARY KEY,
    notice_no   text        NOT NULL UNIQUE,
    kind        text        NOT NULL CHECK (kind IN ('one_time_notice', 'refusal')),
    matter_code text        NOT NULL,
    applicant   jsonb       NOT NULL,
    items       jsonb       NOT NULL DEFAULT '[]',
    reasons     jsonb       NOT NULL DEFAULT '[]',
    clerk       text        NOT NULL,
    created_at  timestamptz NOT NULL
);

-- Electronic copies of the materials, kept with their SHA-256.
CREATE TABLE attachments (
    id           uuid        PRIMARY KEY,
    case_id      uuid        NOT NULL REFERENCES cases (id),
    material_id  text        NOT NULL DEFAULT '',
    name         text        NOT NULL,
    content_type text        NOT NULL,
    size         bigint      NOT NULL,
    sha256       text        NOT NULL,
    data         bytea       NOT NULL,
    created_at   timestamptz NOT NULL,
    UNIQUE (case_id, sha256)
);

-- Daily serials for case and notice numbers.
CREATE TABLE serials (
    scope text NOT NULL,
    day   date NOT NULL,
    n     int  NOT NULL,
    PRIMARY KEY (scope, day)
);

-- Idempotency-Key: a repeated creating POST gets the first answer back.
CREATE TABLE idempotency (
    key          text        NOT NULL,
    route        text        NOT NULL,
    request_hash text        NOT NULL,
    status       int,
    body         bytea,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (key, route)
);
