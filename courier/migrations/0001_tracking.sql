-- Parcels this hall knows: at the origin the ones it ships (and orders with the
-- carrier), at the destination the ones coming to it. role tells them apart; only
-- the origin moves a case from courier events.
CREATE TABLE parcels (
    id              uuid        PRIMARY KEY,
    case_id         uuid        NOT NULL,
    case_no         text        NOT NULL,
    parcel_no       int         NOT NULL DEFAULT 1,
    role            text        NOT NULL CHECK (role IN ('origin', 'destination')),
    carrier         text        NOT NULL,             -- adapter name (sf, ems) or 'manual'
    order_id        text        NOT NULL,             -- courier.OrderID(case id, parcel no)
    waybill         text,                             -- NULL until the carrier answered
    order_state     text        NOT NULL CHECK (order_state IN ('pending', 'placed', 'manual', 'failed', 'voided', 'remote')),
    order_attempts  int         NOT NULL DEFAULT 0,
    order_error     text,
    next_attempt_at timestamptz,
    quoted_fee_fen  bigint      NOT NULL DEFAULT 0,
    status          text        NOT NULL DEFAULT 'created',
    raw_code        text        NOT NULL DEFAULT '',  -- the carrier's code of the current status
    last_event_at   timestamptz,                      -- carrier time of the newest event
    progress_at     timestamptz NOT NULL,             -- hall time the status last advanced
    polled_at       timestamptz,
    pending_move    text,                             -- case move owed from the status (origin)
    subscription    text        NOT NULL DEFAULT 'none' CHECK (subscription IN ('none', 'subscribed', 'aborted', 'finished', 'failed')),
    track_company   text        NOT NULL DEFAULT '',  -- kuaidi100 company, after corrections
    custody_seq     int         NOT NULL DEFAULT 0,   -- head of the chain of custody
    custody_hash    text        NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    UNIQUE (case_id, parcel_no),
    UNIQUE (order_id)
);
CREATE UNIQUE INDEX parcels_waybill ON parcels (waybill) WHERE waybill IS NOT NULL;
CREATE INDEX parcels_case ON parcels (case_id);
CREATE INDEX parcels_orders_due ON parcels (next_attempt_at) WHERE order_state = 'pending';
CREATE INDEX parcels_moves_due ON parcels (id) WHERE pending_move IS NOT NULL;
CREATE INDEX parcels_open ON parcels (progress_at)
    WHERE role = 'origin' AND waybill IS NOT NULL AND status NOT IN ('delivered', 'delivered_proxy', 'delivered_locker', 'returned', 'cancelled');

-- Every push as it came, whether its signature verified and what became of it. An
-- unverified push is kept as evidence and never applied.
CREATE TABLE courier_callbacks (
    id           uuid        PRIMARY KEY,            -- UUIDv7, made by the hall
    carrier      text        NOT NULL,
    received_at  timestamptz NOT NULL,
    content_type text        NOT NULL DEFAULT '',
    body         bytea       NOT NULL,
    verified     boolean     NOT NULL,
    error        text,
    events       int         NOT NULL DEFAULT 0,  -- events it carried
    new_events   int         NOT NULL DEFAULT 0   -- of which not seen before
);
CREATE INDEX courier_callbacks_unverified ON courier_callbacks (received_at) WHERE NOT verified;

-- Courier events, deduplicated on what the carrier said: a replayed or re-polled scan
-- is the same row. Raw code and text are kept so a wrong mapping can be found later.
CREATE TABLE parcel_events (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    parcel_id   uuid,                                  -- NULL: a waybill this hall does not know
    carrier     text        NOT NULL,
    waybill     text        NOT NULL,
    raw_code    text        NOT NULL,
    at          timestamptz NOT NULL,
    status      text        NOT NULL,
    raw_text    text        NOT NULL DEFAULT '',
    location    text        NOT NULL DEFAULT '',
    source      text        NOT NULL CHECK (source IN ('push', 'poll', 'partner')),
    callback_id uuid,
    received_at timestamptz NOT NULL,
    UNIQUE (carrier, waybill, raw_code, at)
);
CREATE INDEX parcel_events_parcel ON parcel_events (parcel_id, at) WHERE parcel_id IS NOT NULL;

-- Problems staff must act on: signed by someone else or left in a locker (not
-- received), returned, lost, or an order the carrier refused.
CREATE TABLE parcel_incidents (
    id          uuid        PRIMARY KEY,
    parcel_id   uuid        NOT NULL REFERENCES parcels (id),
    case_id     uuid        NOT NULL,
    case_no     text        NOT NULL,
    kind        text        NOT NULL CHECK (kind IN ('delivered_proxy', 'delivered_locker', 'returned', 'lost', 'order_failed')),
    state       text        NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'resolved')),
    detail      jsonb       NOT NULL DEFAULT '{}',
    opened_at   timestamptz NOT NULL,
    resolved_at timestamptz,
    resolved_by text,
    resolution  text        CHECK (resolution IN ('resend', 'notify_applicant', 'close')),
    note        text        NOT NULL DEFAULT '',
    UNIQUE (parcel_id, kind)
);
CREATE INDEX parcel_incidents_open ON parcel_incidents (opened_at) WHERE state = 'open';

-- The chain of custody: append-only links, each holding the SHA-256 of the previous
-- link's hash and its own canonical body, so an edited or removed link shows.
CREATE TABLE custody_links (
    parcel_id uuid        NOT NULL REFERENCES parcels (id),
    seq       int         NOT NULL CHECK (seq > 0),
    at        timestamptz NOT NULL,
    kind      text        NOT NULL,
    body      bytea       NOT NULL,  -- the exact bytes hashed
    prev_hash text        NOT NULL,
    hash      text        NOT NULL,
    PRIMARY KEY (parcel_id, seq)
);

-- The chain is append-only: only the database owner could remove this guard.
CREATE FUNCTION custody_links_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'custody_links is append-only';
END $$;
CREATE TRIGGER custody_links_no_change BEFORE UPDATE OR DELETE ON custody_links
    FOR EACH ROW EXECUTE FUNCTION custody_links_append_only();
