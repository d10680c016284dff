-- Timer policy: the limit, the light thresholds and the escalation delays of each stage,
-- per matter. matter_code '' is the hall's default for the kind; the code holds the
-- defaults of last resort, so an empty table still times every stage.
CREATE TABLE deadline_policies (
    matter_code          text        NOT NULL DEFAULT '',
    kind                 text        NOT NULL,
    limit_days           int         CHECK (limit_days > 0),                  -- NULL: the case's own limit
    unit                 text        CHECK (unit IN ('working', 'natural')),  -- NULL: the case's own unit
    yellow_pct           int         NOT NULL CHECK (yellow_pct BETWEEN 1 AND 99),
    red_pct              int         NOT NULL CHECK (red_pct BETWEEN 1 AND 99),
    section_head_after_s int         NOT NULL CHECK (section_head_after_s >= 0),
    leader_after_s       int         NOT NULL CHECK (leader_after_s >= 0),
    updated_at           timestamptz NOT NULL,
    updated_by           text        NOT NULL,
    PRIMARY KEY (matter_code, kind),
    CHECK (red_pct >= yellow_pct),
    CHECK (leader_after_s >= section_head_after_s)
);

-- Statutory timers, one per case and stage, created by the case's transitions in the
-- same transaction. Both halls keep the timers of the stages they see, so both can show
-- countdowns; only the owner (the hall holding the case at that stage) fires alerts.
-- Policy figures are copied in at creation, so a later policy change never moves a
-- running clock. No foreign key to cases: timers are kept after a case is archived.
CREATE TABLE timers (
    id                   bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id              uuid        NOT NULL,
    kind                 text        NOT NULL,
    case_no              text        NOT NULL,
    matter_code          text        NOT NULL,
    department           text        NOT NULL,
    handler              text        NOT NULL,
    owner                text        NOT NULL,   -- division code of the hall that fires its alerts
    limit_days           int         NOT NULL,
    unit                 text        NOT NULL CHECK (unit IN ('working', 'natural')),
    yellow_pct           int         NOT NULL,
    red_pct              int         NOT NULL,
    section_head_after_s int         NOT NULL,
    leader_after_s       int         NOT NULL,
    started_at           timestamptz NOT NULL,
    warn_at              timestamptz NOT NULL,   -- yellow light
    red_at               timestamptz NOT NULL,   -- red light
    due_at               timestamptz NOT NULL,   -- exclusive end of the limit (workcal.Result.At)
    provisional          boolean     NOT NULL DEFAULT false,
    state                text        NOT NULL CHECK (state IN ('running', 'paused', 'closed')),
    paused_at            timestamptz,            -- start of the pause in progress
    stage                smallint    NOT NULL DEFAULT 0, -- alerts fired: 1 yellow, 2 red, 3 overdue, 4 section head, 5 leader
    fire_at              timestamptz,            -- when the sweep must look next; NULL: nothing left to fire here
    closed_at            timestamptz,
    outcome              text,                   -- met, late, deemed_accepted, cancelled
    UNIQUE (case_id, kind)
);
-- The sweep reads only this index, from its start up to now, so its cost follows the
-- due timers and not the open ones.
CREATE INDEX timers_fire ON timers (fire_at) WHERE state = 'running';
CREATE INDEX timers_open_due ON timers (due_at) WHERE state <> 'closed';

-- Pauses of the clock (补正, special procedures) with their reasons: the deadline is
-- recomputed from the start and every finished pause, so the record is the arithmetic.
CREATE TABLE timer_pauses (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    timer_id   bigint      NOT NULL REFERENCES timers (id),
    case_id    uuid        NOT NULL,
    reason     text        NOT NULL,
    note       text        NOT NULL DEFAULT '',
    actor      text        NOT NULL,
    paused_at  timestamptz NOT NULL,
    resumed_at timestamptz
);
CREATE INDEX timer_pauses_timer ON timer_pauses (timer_id, id);

-- Alerts fired by the sweep. Each also went to tongban.supervision.alerts through the
-- outbox in the same transaction; the notifier drains the unnotified ones.
-- UNIQUE (timer_id, stage) is the last guard against firing one step twice.
CREATE TABLE deadline_alerts (
    id              uuid        PRIMARY KEY,   -- also the envelope id
    timer_id        bigint      NOT NULL,
    case_id         uuid        NOT NULL,
    case_no         text        NOT NULL,
    kind            text        NOT NULL,
    matter_code     text        NOT NULL,
    department      text        NOT NULL,
    handler         text        NOT NULL,
    level           text        NOT NULL CHECK (level IN ('yellow', 'red', 'overdue', 'deemed_accepted')),
    stage           smallint    NOT NULL,
    recipient       text        NOT NULL CHECK (recipient IN ('handler', 'section_head', 'leader')),
    due_at          timestamptz NOT NULL,
    fired_at        timestamptz NOT NULL,
    notify_after    timestamptz NOT NULL,
    notify_attempts int         NOT NULL DEFAULT 0,
    notify_error    text,
    notified_at     timestamptz,
    UNIQUE (timer_id, stage)
);
CREATE INDEX deadline_alerts_pending ON deadline_alerts (notify_after) WHERE notified_at IS NULL;

-- Calendar years loaded at run time (published after the binary was built); every
-- replica loads them into its calendar at start and when the table changes.
CREATE TABLE workcal_years (
    year      int         PRIMARY KEY,
    data      bytea       NOT NULL,
    loaded_at timestamptz NOT NULL,
    loaded_by text        NOT NULL
);
