-- officer-fetcher: strike-off companies it tracks, their officers, backfill jobs and erasure
-- suppressions.

-- Every company officer-fetcher has heard of through StrikeOffEntered/Left.
-- fetch_state: idle (nothing outstanding), wanted (a low-priority fetch waits for the low lane),
-- requested (a gateway request is outstanding).
CREATE TABLE companies (
    company_number      text        PRIMARY KEY,
    company_name        text,
    in_strike_off       boolean     NOT NULL,
    source              text        NOT NULL,
    strike_off_kind     text,
    entered_on          date,
    entered_at          timestamptz,
    left_at             timestamptz,
    left_reason         text,
    transition_at       timestamptz NOT NULL,
    profile_etag        text,
    lead_score          integer     NOT NULL DEFAULT 0,
    fetch_state         text        NOT NULL DEFAULT 'idle',
    wanted_at           timestamptz,
    request_id          text,
    request_priority    text,
    requested_at        timestamptz,
    requests_made       integer     NOT NULL DEFAULT 0,
    officers_fetched_at timestamptz,
    officers_etag       text,
    fetched_profile_etag text,
    officers_total      integer,
    fetch_outcome       text,
    fetch_error         text,
    purged_at           timestamptz
);

CREATE INDEX companies_wanted ON companies (wanted_at) WHERE fetch_state = 'wanted';
CREATE INDEX companies_requested ON companies (request_priority) WHERE fetch_state = 'requested';
CREATE INDEX companies_left ON companies (left_at) WHERE NOT in_strike_off;

-- One appointment of one officer at one company, as far as Companies House described it.
CREATE TABLE officers (
    company_number       text    NOT NULL REFERENCES companies ON DELETE CASCADE,
    appointment_key      text    NOT NULL,
    position             integer NOT NULL,
    officer_id           text,
    appointment_id       text,
    name                 text    NOT NULL,
    kind                 text    NOT NULL,
    role                 text,
    surname              text,
    forenames            text,
    title                text,
    appointed_on         date,
    appointed_before     date,
    resigned_on          date,
    birth_month          integer,
    birth_year           integer,
    nationality          text,
    occupation           text,
    country_of_residence text,
    address              jsonb,
    identification       jsonb,
    is_lead              boolean NOT NULL,
    PRIMARY KEY (company_number, appointment_key)
);

CREATE INDEX officers_officer_id ON officers (officer_id);

-- Backfill jobs ("leadpipe backfill officers") and the companies each one covers, in order.
CREATE TABLE backfill_jobs (
    job_id            text        PRIMARY KEY,
    state             text        NOT NULL,
    order_by          text        NOT NULL,
    limit_count       integer,
    cutoff            integer,
    window_size       integer     NOT NULL,
    total             integer     NOT NULL,
    sequence          integer     NOT NULL DEFAULT 0,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    reported_at       timestamptz,
    reported_done     integer,
    reported_state    text
);

CREATE TABLE backfill_items (
    job_id         text        NOT NULL REFERENCES backfill_jobs ON DELETE CASCADE,
    position       integer     NOT NULL,
    company_number text        NOT NULL,
    queued_at      timestamptz,
    done_at        timestamptz,
    outcome        text,
    PRIMARY KEY (job_id, position)
);

CREATE INDEX backfill_items_company ON backfill_items (company_number) WHERE done_at IS NULL;

-- Erased people: hashes only, so suppression keeps no readable personal data.
CREATE TABLE suppressions (
    request_id     text        NOT NULL,
    officer_hash   text,
    name_hash      text,
    company_number text,
    created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX suppressions_officer ON suppressions (officer_hash);
CREATE INDEX suppressions_name ON suppressions (name_hash);
