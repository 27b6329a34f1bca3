-- Tables every service schema has: the inbox that makes consumers idempotent and the outbox
-- that makes "change state, then publish" atomic.

CREATE TABLE processed_events (
    consumer     text        NOT NULL,
    event_id     text        NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);

CREATE TABLE outbox (
    id           bigserial   PRIMARY KEY,
    subject      text        NOT NULL,
    msg_id       text        NOT NULL,
    data         bytea       NOT NULL,
    headers      jsonb       NOT NULL DEFAULT '{}',
    created_at   timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz
);

CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL;
