-- snov-enricher: companies and directors waiting for enrichment, the paid-result caches, the
-- Snov.io batches in flight, and the credit ledger.

CREATE TABLE companies (
    company_number        text PRIMARY KEY,
    company_name          text,
    normalised_name       text,
    sic_codes             text[] NOT NULL DEFAULT '{}',
    date_of_creation      date,
    accounts_category     text,
    accounts_overdue      boolean,
    address               jsonb,
    postal_code           text,
    strike_off_kind       text,
    strike_off_entered_on date,
    in_strike_off         boolean NOT NULL DEFAULT true,
    director_count        integer NOT NULL DEFAULT 0,
    lead_score            double precision NOT NULL DEFAULT 50,
    -- waiting (no director known) | pending | found | none
    domain_state          text NOT NULL DEFAULT 'waiting',
    domain                text,
    domain_confidence     double precision,
    queued_at             timestamptz,
    updated_at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX companies_by_name ON companies (normalised_name);

-- Active individual directors only: the people an e-mail is searched for.
CREATE TABLE officers (
    company_number text NOT NULL REFERENCES companies ON DELETE CASCADE,
    officer_key    text NOT NULL,
    officer_id     text,
    first_name     text NOT NULL,
    last_name      text NOT NULL,
    role           text NOT NULL,
    lookup_key     text,
    PRIMARY KEY (company_number, officer_key)
);
CREATE INDEX officers_by_lookup ON officers (lookup_key);
CREATE INDEX officers_by_officer_id ON officers (officer_id);

-- The paid-result cache of company-domain-by-name: one row per normalised name, searched once.
CREATE TABLE domain_lookups (
    normalised_name text PRIMARY KEY,
    query_name      text NOT NULL,
    state           text NOT NULL,  -- pending | searching | found | none | failed
    domain          text,
    batch_id        text,
    attempts        integer NOT NULL DEFAULT 0,
    queued_at       timestamptz NOT NULL,
    resolved_at     timestamptz
);
CREATE INDEX domain_lookups_pending ON domain_lookups (state) WHERE state = 'pending';

-- The paid-result cache of emails-by-domain-by-name: one row per person at a domain.
CREATE TABLE email_lookups (
    lookup_key  text PRIMARY KEY,
    first_name  text NOT NULL,
    last_name   text NOT NULL,
    domain      text NOT NULL,
    state       text NOT NULL,  -- pending | searching | done | failed
    candidates  jsonb,
    batch_id    text,
    attempts    integer NOT NULL DEFAULT 0,
    queued_at   timestamptz NOT NULL,
    resolved_at timestamptz
);
CREATE INDEX email_lookups_pending ON email_lookups (state) WHERE state = 'pending';

CREATE TABLE contacts (
    contact_key    text PRIMARY KEY,
    company_number text NOT NULL,
    officer_key    text NOT NULL,
    email          text NOT NULL,
    smtp_status    text NOT NULL,
    found_at       timestamptz NOT NULL
);

-- One Snov.io start call. Created (state starting) before the call so the webhook token exists.
CREATE TABLE batches (
    batch_id        text PRIMARY KEY,
    kind            text NOT NULL,   -- domain | emails
    state           text NOT NULL,   -- starting | running | completed | not_enough_credits | abandoned
    task_hash       text UNIQUE,
    items           jsonb NOT NULL,  -- the cache keys and what was sent for each
    period          text NOT NULL,
    reserved        integer NOT NULL,
    charged         integer NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL,
    started_at      timestamptz,
    poll_at         timestamptz,
    polls           integer NOT NULL DEFAULT 0,
    webhook_at      timestamptz,
    completed_at    timestamptz
);
CREATE INDEX batches_open ON batches (poll_at) WHERE state IN ('starting', 'running');

-- Credits per billing period and call type: reserved by batches in flight, charged by Snov.io.
CREATE TABLE credit_ledger (
    period    text NOT NULL,
    call_type text NOT NULL,
    reserved  integer NOT NULL DEFAULT 0,
    charged   integer NOT NULL DEFAULT 0,
    PRIMARY KEY (period, call_type)
);

CREATE TABLE credit_days (
    day       date NOT NULL,
    call_type text NOT NULL,
    charged   integer NOT NULL DEFAULT 0,
    PRIMARY KEY (day, call_type)
);

-- The pause state (one row).
CREATE TABLE credit_state (
    id                 integer PRIMARY KEY CHECK (id = 1),
    paused             boolean NOT NULL DEFAULT false,
    reason             text,
    paused_period      text,
    paused_day         date,
    paused_at          timestamptz,
    balance            double precision,
    balance_checked_at timestamptz
);
INSERT INTO credit_state (id) VALUES (1);

-- Erased people and companies: never sent to Snov.io again.
CREATE TABLE suppressions (
    kind       text NOT NULL,  -- officer_id | person | email | company
    value      text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (kind, value)
);
