-- A person may be suppressed by several erasure requests; each keeps its own row so that lifting
-- one request's suppression leaves the others in force.
ALTER TABLE suppressions DROP CONSTRAINT suppressions_pkey;
ALTER TABLE suppressions ADD PRIMARY KEY (person_key, request_id);
CREATE INDEX suppressions_request ON suppressions (request_id);
