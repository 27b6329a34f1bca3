-- The quota state that must survive restarts and leader changes.

-- Every upstream call, written before the call is made (epoch seconds), so a restarted or new
-- leader starts from the calls already spent in the window instead of a fresh burst.
CREATE TABLE call_log (
    id bigserial        PRIMARY KEY,
    at double precision NOT NULL
);
CREATE INDEX call_log_at ON call_log (at);

-- A breaker opened by 429/403 stays open for the new leader too.
CREATE TABLE breaker (
    id         integer          PRIMARY KEY CHECK (id = 1),
    open_until double precision NOT NULL,
    reason     text             NOT NULL,
    updated_at timestamptz      NOT NULL DEFAULT now()
);
