-- State query-api owns itself (not derived from events, untouched by a rebuild): who may call
-- it, what they did, and what they asked to keep (saved searches, webhook subscriptions).

CREATE TABLE users (
    username      text PRIMARY KEY,
    password_hash text NOT NULL,
    role          text NOT NULL CHECK (role IN ('admin', 'analyst', 'viewer')),
    disabled      boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_keys (
    key_id         text PRIMARY KEY,
    secret_hash    text NOT NULL,
    name           text NOT NULL,
    role           text NOT NULL CHECK (role IN ('admin', 'analyst', 'viewer')),
    owner          text,
    rate_limit_per_minute integer CHECK (rate_limit_per_minute > 0),
    created_at     timestamptz NOT NULL DEFAULT now(),
    revoked_at     timestamptz
);

CREATE TABLE audit_log (
    id         bigserial PRIMARY KEY,
    at         timestamptz NOT NULL DEFAULT now(),
    actor      text,
    key_id     text,
    role       text,
    method     text NOT NULL,
    path       text NOT NULL,
    query      text NOT NULL DEFAULT '',
    status     integer NOT NULL,
    client     text
);

CREATE INDEX audit_log_at ON audit_log (at);

CREATE TABLE saved_searches (
    id         uuid PRIMARY KEY,
    owner      text NOT NULL,
    name       text NOT NULL,
    params     jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (owner, name)
);

CREATE TABLE webhook_subscriptions (
    id         uuid PRIMARY KEY,
    url        text NOT NULL,
    events     text[] NOT NULL,
    secret     text NOT NULL,
    owner      text NOT NULL,
    active     boolean NOT NULL DEFAULT true,
    start_seq  bigint NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE webhook_deliveries (
    id              bigserial PRIMARY KEY,
    subscription_id uuid NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
    event_id        text NOT NULL,
    kind            text NOT NULL,
    payload         jsonb NOT NULL,
    status          text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_status     integer,
    last_error      text,
    delivered_at    timestamptz,
    UNIQUE (subscription_id, event_id)
);

CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';

CREATE TABLE webhook_cursor (
    name text PRIMARY KEY,
    seq  bigint NOT NULL
);
