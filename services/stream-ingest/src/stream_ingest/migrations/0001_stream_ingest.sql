-- stream-ingest: last known status of every company seen, stream positions, filing signals
-- awaiting a profile check, and the bulk import bookkeeping.

CREATE TABLE companies (
    company_number  text        PRIMARY KEY,
    company_name    text        NOT NULL DEFAULT '',
    status          text        NOT NULL,
    status_detail   text,
    raw_status      text,
    strike_off      boolean     NOT NULL DEFAULT false,
    strike_off_kind text,
    observed_at     timestamptz NOT NULL,
    source          text        NOT NULL,
    source_ref      text        NOT NULL,
    etag            text,
    profile_hash    text,
    ended_at        timestamptz,
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX companies_in_strike_off ON companies (company_number) WHERE strike_off;

-- Last timepoint per stream whose events are durably published (written after the PubAck).
CREATE TABLE stream_positions (
    stream     text        PRIMARY KEY,
    timepoint  bigint      NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Resumes without a timepoint after a 416: the history between was not seen.
CREATE TABLE stream_gaps (
    id          bigserial   PRIMARY KEY,
    stream      text        NOT NULL,
    gap_from    bigint,
    gap_to      bigint,
    detected_at timestamptz NOT NULL DEFAULT now(),
    rechecks    integer     NOT NULL DEFAULT 0
);

-- Filing signals per company: a kind hint (DS01, Gazette notice) and, when strike-off became
-- plausible without a profile saying so, a pending profile check sent to the gateway once.
CREATE TABLE signals (
    company_number text        PRIMARY KEY,
    kind           text,
    signal         text        NOT NULL,
    observed_at    timestamptz NOT NULL,
    check_due_at   timestamptz,
    requested_at   timestamptz,
    request_id     text,
    priority       text
);
CREATE INDEX signals_due ON signals (check_due_at) WHERE check_due_at IS NOT NULL;

CREATE TABLE bulk_imports (
    snapshot     text        PRIMARY KEY,
    as_of        date        NOT NULL,
    all_rows     boolean     NOT NULL,
    phase        text        NOT NULL DEFAULT 'loading',
    rows_read    bigint      NOT NULL DEFAULT 0,
    matched      bigint      NOT NULL DEFAULT 0,
    entered      bigint      NOT NULL DEFAULT 0,
    "left"       bigint      NOT NULL DEFAULT 0,
    unchanged    bigint      NOT NULL DEFAULT 0,
    rejected     bigint      NOT NULL DEFAULT 0,
    started_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz
);

CREATE TABLE bulk_import_files (
    snapshot  text    NOT NULL,
    file      text    NOT NULL,
    rows_read bigint  NOT NULL,
    matched   bigint  NOT NULL,
    rejected  bigint  NOT NULL,
    replaced  bigint  NOT NULL DEFAULT 0,
    PRIMARY KEY (snapshot, file)
);

CREATE UNLOGGED TABLE bulk_staging (
    snapshot       text   NOT NULL,
    file           text   NOT NULL,
    line           bigint NOT NULL,
    company_number text   NOT NULL,
    company_name   text   NOT NULL,
    raw_status     text   NOT NULL,
    status         text   NOT NULL,
    status_detail  text,
    profile        bytea  NOT NULL,
    profile_hash   text   NOT NULL
);
CREATE INDEX bulk_staging_snapshot ON bulk_staging (snapshot, company_number);

CREATE TABLE bulk_quarantine (
    snapshot text   NOT NULL,
    file     text   NOT NULL,
    line     bigint NOT NULL,
    reason   text   NOT NULL,
    raw      text,
    PRIMARY KEY (snapshot, file, line)
);

-- Events a snapshot caused, written with the state change, published afterwards (resumable).
CREATE TABLE bulk_events (
    id             bigserial PRIMARY KEY,
    snapshot       text      NOT NULL,
    company_number text      NOT NULL,
    change         text      NOT NULL,
    reason         text,
    company_name   text,
    kind           text,
    profile        bytea,
    published      boolean   NOT NULL DEFAULT false,
    UNIQUE (snapshot, company_number, change)
);
CREATE INDEX bulk_events_unpublished ON bulk_events (snapshot, id) WHERE NOT published;
