-- Delivery history (queue/history.py): counters per minute that outlive the jobs they count, written by triggers
-- in the statement that changes jobs' states, so every store method that records an outcome counts it once.
-- Statement-level triggers with transition tables: one ordered upsert per statement (not one per job), so two
-- workers' transactions touch counter rows in the same order and never deadlock on them.
-- destination: 'default' until jobs carry one (history.py's destination_of is the Python side of that rule).
CREATE TABLE history (
    minute          timestamptz NOT NULL,
    destination     text NOT NULL,
    subscription    text NOT NULL,          -- '' : the destination's own row (SFMC and token requests)
    invalid         bigint NOT NULL DEFAULT 0,
    delivered       bigint NOT NULL DEFAULT 0,
    retried         bigint NOT NULL DEFAULT 0,
    throttled       bigint NOT NULL DEFAULT 0,
    dead            bigint NOT NULL DEFAULT 0,
    in_doubt        bigint NOT NULL DEFAULT 0,
    sfmc_requests   bigint NOT NULL DEFAULT 0,
    token_requests  bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (minute, destination, subscription)
);

-- Accept-to-delivered latency: count per bucket (le_ms: upper bound in ms; 1e12 stands for +Inf).
CREATE TABLE history_latency (
    minute          timestamptz NOT NULL,
    destination     text NOT NULL,
    subscription    text NOT NULL,
    le_ms           bigint NOT NULL,
    count           bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (minute, destination, subscription, le_ms)
);

CREATE TABLE history_sources (
    minute          timestamptz NOT NULL,
    source          text NOT NULL,
    accepted        bigint NOT NULL DEFAULT 0,
    rejected        bigint NOT NULL DEFAULT 0,
    unmatched       bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (minute, source)
);

CREATE TABLE error_inbox (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job_id          bigint NOT NULL,
    kind            text NOT NULL,          -- invalid, retry, dead
    at              timestamptz NOT NULL,
    error           text
);

CREATE TABLE error_groups (
    destination     text NOT NULL,
    subscription    text NOT NULL,
    error           text NOT NULL,
    group_id        text NOT NULL,
    count           bigint NOT NULL,
    first_seen      timestamptz NOT NULL,
    last_seen       timestamptz NOT NULL,
    PRIMARY KEY (destination, subscription, error)
);
CREATE INDEX error_groups_last_seen ON error_groups (last_seen);

CREATE TABLE error_samples (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    group_id        text NOT NULL,
    job_id          bigint NOT NULL,
    at              timestamptz NOT NULL,
    error           text NOT NULL,
    event           jsonb,
    request         jsonb,
    response        jsonb
);
CREATE INDEX error_samples_group ON error_samples (group_id, at);

ALTER TABLE jobs ADD COLUMN error_group text;
CREATE INDEX jobs_error_group ON jobs (error_group, updated_at) WHERE error_group IS NOT NULL;

CREATE FUNCTION history_latency_bucket(ms double precision) RETURNS bigint LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN ms <= 50 THEN 50 WHEN ms <= 100 THEN 100 WHEN ms <= 250 THEN 250 WHEN ms <= 500 THEN 500
                WHEN ms <= 1000 THEN 1000 WHEN ms <= 2500 THEN 2500 WHEN ms <= 5000 THEN 5000
                WHEN ms <= 10000 THEN 10000 WHEN ms <= 30000 THEN 30000 WHEN ms <= 60000 THEN 60000
                WHEN ms <= 300000 THEN 300000 WHEN ms <= 900000 THEN 900000 WHEN ms <= 3600000 THEN 3600000
                WHEN ms <= 14400000 THEN 14400000 WHEN ms <= 86400000 THEN 86400000 ELSE 1000000000000 END
$$;

CREATE FUNCTION jobs_history_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO history (minute, destination, subscription, invalid)
    SELECT date_trunc('minute', created_at), 'default', coalesce(subscription, ''), count(*)
    FROM new_rows WHERE state = 'dead' GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (minute, destination, subscription) DO UPDATE SET invalid = history.invalid + excluded.invalid;
    INSERT INTO error_inbox (job_id, kind, at, error)
    SELECT id, 'invalid', created_at, dead_reason FROM new_rows WHERE state = 'dead';
    RETURN NULL;
END $$;

CREATE TRIGGER jobs_history_insert AFTER INSERT ON jobs
REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION jobs_history_insert();

CREATE FUNCTION jobs_history_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- One row per counted change: a job can be counted for two things at once (retried into doubt).
    WITH c AS (
        SELECT n.id, coalesce(n.subscription, '') AS subscription, n.updated_at, n.created_at, n.delivered_at,
               o.delivered_at AS old_delivered_at, n.last_error, n.dead_reason,
               (n.state = 'delivered' AND o.state <> 'delivered') AS delivered,
               (n.state = 'dead' AND o.state <> 'dead') AS dead,
               (n.state = 'dead' AND o.state = 'delivered') AS undelivered,
               (o.state = 'claimed' AND n.state = 'pending' AND n.attempts = o.attempts) AS retried,
               (n.in_doubt AND NOT o.in_doubt) AS in_doubt
        FROM new_rows n JOIN old_rows o ON o.id = n.id
        WHERE n.state IS DISTINCT FROM o.state OR n.in_doubt IS DISTINCT FROM o.in_doubt
    ), counted AS (
        SELECT date_trunc('minute', coalesce(delivered_at, updated_at)) AS minute, subscription, 1 AS delivered, 0 AS retried, 0 AS dead,
               0 AS in_doubt FROM c WHERE delivered
        UNION ALL SELECT date_trunc('minute', old_delivered_at), subscription, -1, 0, 0, 0 FROM c WHERE undelivered
        UNION ALL SELECT date_trunc('minute', updated_at), subscription, 0, 1, 0, 0 FROM c WHERE retried
        UNION ALL SELECT date_trunc('minute', updated_at), subscription, 0, 0, 1, 0 FROM c WHERE dead
        UNION ALL SELECT date_trunc('minute', updated_at), subscription, 0, 0, 0, 1 FROM c WHERE in_doubt
    ), summed AS (
        INSERT INTO history (minute, destination, subscription, delivered, retried, dead, in_doubt)
        SELECT minute, 'default', subscription, sum(delivered), sum(retried), sum(dead), sum(in_doubt)
        FROM counted WHERE minute IS NOT NULL GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (minute, destination, subscription) DO UPDATE SET
            delivered = history.delivered + excluded.delivered, retried = history.retried + excluded.retried,
            dead = history.dead + excluded.dead, in_doubt = history.in_doubt + excluded.in_doubt
    ), latency AS (
        INSERT INTO history_latency (minute, destination, subscription, le_ms, count)
        SELECT date_trunc('minute', delivered_at), 'default', subscription,
               history_latency_bucket(extract(epoch FROM delivered_at - created_at) * 1000), count(*)
        FROM c WHERE delivered AND delivered_at IS NOT NULL GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
        ON CONFLICT (minute, destination, subscription, le_ms) DO UPDATE SET count = history_latency.count + excluded.count
    )
    INSERT INTO error_inbox (job_id, kind, at, error)
    SELECT id, 'dead', updated_at, dead_reason FROM c WHERE dead
    UNION ALL SELECT id, 'retry', updated_at, last_error FROM c WHERE retried;
    RETURN NULL;
END $$;

CREATE TRIGGER jobs_history_update AFTER UPDATE ON jobs
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION jobs_history_update();
