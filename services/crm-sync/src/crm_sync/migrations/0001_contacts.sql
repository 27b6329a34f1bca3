-- crm-sync state: what each lead looks like in GoHighLevel, who must never be synced, and which
-- companies left proposal to strike off.

-- One row per lead (contact_key = company number + officer id). payload_hash is the hash of the
-- last body sent successfully: an equal hash means nothing to send. tags are the managed tags
-- the contact carries. person_keys are one-way keys (see domain.person_keys) that erasure
-- requests match on; no e-mail or name is stored here.
CREATE TABLE contacts (
    contact_key      text        PRIMARY KEY,
    company_number   text        NOT NULL,
    entered_on       date,
    crm_contact_id   text,
    payload_hash     text,
    tags             text[]      NOT NULL DEFAULT '{}',
    person_keys      text[]      NOT NULL DEFAULT '{}',
    status           text        NOT NULL CHECK (status IN ('synced', 'failed')),
    synced_at        timestamptz,
    failed_hash      text,
    failed_status    integer,
    failed_reason    text,
    failed_at        timestamptz,
    updated_at       timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX contacts_company ON contacts (company_number);
CREATE INDEX contacts_person_keys ON contacts USING gin (person_keys);
CREATE INDEX contacts_failed ON contacts (failed_at) WHERE status = 'failed';

-- People who asked to be erased: never synced again.
CREATE TABLE suppressions (
    person_key    text        PRIMARY KEY,
    request_id    text        NOT NULL,
    suppressed_at timestamptz NOT NULL DEFAULT now()
);

-- The latest exit from proposal to strike off per company.
CREATE TABLE companies_left (
    company_number text        PRIMARY KEY,
    left_at        timestamptz NOT NULL,
    reason         text        NOT NULL
);
