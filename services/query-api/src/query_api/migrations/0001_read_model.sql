-- The read model: built only from events, emptied and rebuilt by `leadpipe query-api rebuild`.
-- Every mutable row carries the (time, event id) of the fact that last set it; projections only
-- overwrite with a strictly newer pair, so replaying in any order converges on one state.

CREATE TABLE companies (
    company_number      text PRIMARY KEY,
    company_name        text NOT NULL DEFAULT '',
    name_at             timestamptz,
    name_event          text,
    company_status      text,
    status_detail       text,
    company_type        text,
    address             jsonb,
    postcode            text,
    postcode_area       text,
    region              text,
    sic_codes           text[] NOT NULL DEFAULT '{}',
    sic_sections        text[] NOT NULL DEFAULT '{}',
    date_of_creation    date,
    accounts_category   text,
    accounts_overdue    boolean,
    confirmation_overdue boolean,
    profile_at          timestamptz,
    profile_event       text,
    strike_off          boolean NOT NULL DEFAULT false,
    strike_off_kind     text,
    strike_off_source   text,
    entered_on          date,
    left_on             date,
    left_reason         text,
    transition_at       timestamptz,
    transition_event    text,
    officer_count       integer NOT NULL DEFAULT 0,
    has_individual_director boolean NOT NULL DEFAULT false,
    officers_at         timestamptz,
    officers_event      text,
    domain              text,
    domain_found        boolean,
    domain_at           timestamptz,
    domain_event        text,
    contact_count       integer NOT NULL DEFAULT 0,
    synced_count        integer NOT NULL DEFAULT 0,
    lead_score          double precision,
    score_at            timestamptz,
    score_event         text,
    purged_at           timestamptz,
    name_tsv            tsvector GENERATED ALWAYS AS (to_tsvector('simple', company_name)) STORED
);

CREATE INDEX companies_name_tsv ON companies USING gin (name_tsv);
CREATE INDEX companies_sort_name ON companies (company_name, company_number);
CREATE INDEX companies_sort_entered ON companies
    ((coalesce(entered_on, DATE '0001-01-01')), company_number);
CREATE INDEX companies_sort_left ON companies
    ((coalesce(left_on, DATE '0001-01-01')), company_number);
CREATE INDEX companies_sort_score ON companies ((coalesce(lead_score, -1)), company_number);
CREATE INDEX companies_strike_off ON companies (strike_off, entered_on);
CREATE INDEX companies_sic ON companies USING gin (sic_codes);
CREATE INDEX companies_region ON companies (region);
CREATE INDEX companies_postcode_area ON companies (postcode_area);

CREATE TABLE strikeoff_history (
    event_id       text PRIMARY KEY,
    company_number text NOT NULL,
    transition     text NOT NULL CHECK (transition IN ('entered', 'left')),
    on_date        date NOT NULL,
    kind           text,
    reason         text,
    source         text NOT NULL,
    signal         text,
    occurred_at    timestamptz NOT NULL
);

CREATE INDEX strikeoff_history_company ON strikeoff_history (company_number, occurred_at);
CREATE INDEX strikeoff_history_date ON strikeoff_history (on_date, transition);

CREATE TABLE officers (
    company_number  text NOT NULL,
    position        integer NOT NULL,
    officer_id      text,
    appointment_id  text,
    name            text NOT NULL,
    name_key        text NOT NULL,
    kind            text NOT NULL,
    role            text NOT NULL,
    surname         text,
    forenames       text,
    title           text,
    appointed_on    date,
    resigned_on     date,
    birth_month     integer,
    birth_year      integer,
    nationality     text,
    occupation      text,
    country_of_residence text,
    address         jsonb,
    PRIMARY KEY (company_number, position)
);

CREATE INDEX officers_officer_id ON officers (officer_id);
CREATE INDEX officers_name_key ON officers (name_key);

CREATE TABLE contacts (
    contact_key     text PRIMARY KEY,
    company_number  text NOT NULL DEFAULT '',
    found           boolean NOT NULL DEFAULT false,
    officer_id      text,
    first_name      text,
    last_name       text,
    name_key        text,
    role            text,
    email           text,
    smtp_status     text,
    unknown_status_reason text,
    confidence      double precision,
    found_at        timestamptz,
    found_event     text,
    crm_contact_id  text,
    sync_state      text,
    sync_error      text,
    synced_at       timestamptz,
    crm_at          timestamptz,
    crm_event       text
);

CREATE INDEX contacts_company ON contacts (company_number, contact_key);
CREATE INDEX contacts_email ON contacts (lower(email));
CREATE INDEX contacts_officer_id ON contacts (officer_id);

CREATE TABLE status_snapshots (
    kind        text NOT NULL,
    key         text NOT NULL,
    at          timestamptz NOT NULL,
    event_id    text NOT NULL,
    payload     jsonb NOT NULL,
    PRIMARY KEY (kind, key)
);

CREATE TABLE dead_letters (
    event_id        text PRIMARY KEY,
    consumer        text NOT NULL,
    stream          text NOT NULL,
    subject         text NOT NULL,
    stream_sequence bigint NOT NULL,
    deliveries      integer NOT NULL,
    error           text NOT NULL,
    occurred_at     timestamptz NOT NULL
);

CREATE TABLE jobs (
    job_id          text PRIMARY KEY,
    job_type        text NOT NULL,
    service         text NOT NULL,
    state           text NOT NULL,
    sequence        bigint NOT NULL,
    event_id        text NOT NULL,
    done            bigint NOT NULL,
    total           bigint,
    queued          bigint NOT NULL,
    failed          bigint NOT NULL,
    rate_per_second double precision,
    eta_seconds     double precision,
    message         text,
    updated_at      timestamptz NOT NULL
);

CREATE TABLE job_commands (
    event_id     text PRIMARY KEY,
    job_id       text NOT NULL,
    service      text NOT NULL,
    action       text NOT NULL,
    requested_by text NOT NULL,
    occurred_at  timestamptz NOT NULL
);

CREATE INDEX job_commands_job ON job_commands (job_id, occurred_at);

CREATE TABLE erasure_requests (
    request_id     text PRIMARY KEY,
    officer_id     text,
    email          text,
    name_key       text,
    company_number text,
    requested_by   text NOT NULL,
    requested_at   timestamptz NOT NULL,
    event_id       text NOT NULL
);

CREATE TABLE erasure_completions (
    request_id     text NOT NULL,
    service        text NOT NULL,
    records_erased integer NOT NULL,
    completed_at   timestamptz NOT NULL,
    event_id       text NOT NULL,
    PRIMARY KEY (request_id, service)
);

-- The live feed outlives a rebuild: it is a log keyed by event id, so a replay adds nothing and
-- subscribers (SSE clients, outbound webhooks) never see a fact twice.
CREATE TABLE feed (
    seq            bigserial PRIMARY KEY,
    event_id       text NOT NULL UNIQUE,
    kind           text NOT NULL,
    company_number text,
    occurred_at    timestamptz NOT NULL,
    payload        jsonb NOT NULL
);

CREATE INDEX feed_kind ON feed (kind, seq);
