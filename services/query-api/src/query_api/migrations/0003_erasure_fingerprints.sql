-- Erasure requests keep fingerprints of the identifiers they were given (sha256, as
-- leadpipe_runtime.privacy.fingerprint computes them), not the identifiers: the request outlives
-- the person's data and must not be what still names them. Which kinds were given stays
-- readable. A request's suppression can be lifted; each service confirms the lift.

ALTER TABLE erasure_requests
    ADD COLUMN officer_hash text,
    ADD COLUMN email_hash   text,
    ADD COLUMN name_hash    text,
    ADD COLUMN identifiers  text[] NOT NULL DEFAULT '{}',
    ADD COLUMN lifted_at    timestamptz,
    ADD COLUMN lifted_by    text,
    ADD COLUMN lift_event   text;

UPDATE erasure_requests SET
    officer_hash = CASE WHEN officer_id IS NOT NULL
        THEN encode(sha256(convert_to(officer_id, 'UTF8')), 'hex') END,
    email_hash = CASE WHEN email IS NOT NULL
        THEN encode(sha256(convert_to(lower(email), 'UTF8')), 'hex') END,
    name_hash = CASE WHEN name_key IS NOT NULL
        THEN encode(sha256(convert_to(name_key, 'UTF8')), 'hex') END,
    identifiers = array_remove(ARRAY[
        CASE WHEN officer_id IS NOT NULL THEN 'officer_id' END,
        CASE WHEN email IS NOT NULL THEN 'email' END,
        CASE WHEN name_key IS NOT NULL THEN 'name' END], NULL);

ALTER TABLE erasure_requests DROP COLUMN officer_id, DROP COLUMN email, DROP COLUMN name_key;

CREATE INDEX erasure_requests_officer ON erasure_requests (officer_hash);
CREATE INDEX erasure_requests_email ON erasure_requests (email_hash);
CREATE INDEX erasure_requests_name ON erasure_requests (name_hash);

CREATE TABLE suppression_lift_completions (
    request_id           text NOT NULL,
    service              text NOT NULL,
    suppressions_removed integer NOT NULL,
    completed_at         timestamptz NOT NULL,
    event_id             text NOT NULL,
    PRIMARY KEY (request_id, service)
);
