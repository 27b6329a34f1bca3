-- Suppressions keep fingerprints (sha256, as leadpipe_runtime.privacy.fingerprint computes them)
-- instead of readable identifiers, and remember the erasure request that set each one so that an
-- administrator can lift it. Company suppressions keep the company number: it names no person.

ALTER TABLE suppressions ADD COLUMN request_id text NOT NULL DEFAULT '';

UPDATE suppressions SET value = encode(sha256(convert_to(value, 'UTF8')), 'hex')
WHERE kind IN ('officer_id', 'email');

UPDATE suppressions
SET value = split_part(value, '|', 1) || '|'
    || encode(sha256(convert_to(substr(value, strpos(value, '|') + 1), 'UTF8')), 'hex')
WHERE kind = 'person';

ALTER TABLE suppressions DROP CONSTRAINT suppressions_pkey;
ALTER TABLE suppressions ADD PRIMARY KEY (kind, value, request_id);
CREATE INDEX suppressions_request ON suppressions (request_id);
