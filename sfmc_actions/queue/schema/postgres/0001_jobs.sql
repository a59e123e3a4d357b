-- Jobs, rejected events, de-duplication keys and shared OAuth tokens, in the store's own schema (search_path).
CREATE TABLE jobs (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subscription  text,                               -- NULL for rejected events
    action        text NOT NULL,
    batch_key     text NOT NULL,
    tenant        text NOT NULL,
    message_id    text,
    event         jsonb NOT NULL,
    payload       jsonb,
    raw_body      text,
    state         text NOT NULL CHECK (state IN ('pending', 'claimed', 'delivered', 'dead', 'rejected')),
    attempts      integer NOT NULL DEFAULT 0,
    created_at    timestamptz NOT NULL,
    available_at  timestamptz NOT NULL,               -- next attempt; while claimed, the lease expiry
    updated_at    timestamptz NOT NULL,
    lease_owner   text,
    last_error    text,
    dead_reason   text,
    sent_row      jsonb,
    delivered_at  timestamptz,
    replayed_at   timestamptz
);

-- The claim hot path (FOR UPDATE SKIP LOCKED over these). Partial, so delivered and dead jobs never slow it.
CREATE INDEX jobs_claimable ON jobs (available_at, id) WHERE state IN ('pending', 'claimed');
CREATE INDEX jobs_claimable_by_key ON jobs (batch_key, available_at, id) WHERE state IN ('pending', 'claimed');
-- release(owner) at shutdown finds its claims without a scan.
CREATE INDEX jobs_leases ON jobs (lease_owner) WHERE state = 'claimed';
-- Stats (counts per subscription and state), dead-letter listings and purges.
CREATE INDEX jobs_by_state ON jobs (state, subscription, created_at);
CREATE INDEX jobs_errors ON jobs (updated_at) WHERE last_error IS NOT NULL;

CREATE TABLE dedupe_keys (
    subscription  text NOT NULL,
    message_id    text NOT NULL,
    expires_at    timestamptz NOT NULL,
    PRIMARY KEY (subscription, message_id)
);
CREATE INDEX dedupe_keys_expiry ON dedupe_keys (expires_at);

CREATE TABLE shared_tokens (
    tenant_key    text PRIMARY KEY,
    token         text NOT NULL,
    expires_at    timestamptz NOT NULL
);
