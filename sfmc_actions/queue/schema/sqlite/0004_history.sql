-- Delivery history (queue/history.py): counters per minute that outlive the jobs they count, written by triggers
-- in the transaction that changes a job's state, so every store method that records an outcome counts it once.
-- minute: Unix epoch seconds of the minute's start. destination: 'default' until jobs carry one (history.py's
-- destination_of is the Python side of the same rule).
CREATE TABLE history (
    minute          INTEGER NOT NULL,
    destination     TEXT NOT NULL,
    subscription    TEXT NOT NULL,          -- '' : the destination's own row (SFMC and token requests)
    invalid         INTEGER NOT NULL DEFAULT 0,
    delivered       INTEGER NOT NULL DEFAULT 0,
    retried         INTEGER NOT NULL DEFAULT 0,
    throttled       INTEGER NOT NULL DEFAULT 0,
    dead            INTEGER NOT NULL DEFAULT 0,
    in_doubt        INTEGER NOT NULL DEFAULT 0,
    sfmc_requests   INTEGER NOT NULL DEFAULT 0,
    token_requests  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (minute, destination, subscription)
) WITHOUT ROWID;

-- Accept-to-delivered latency: count per bucket (le_ms: upper bound in ms; 1e12 stands for +Inf).
CREATE TABLE history_latency (
    minute          INTEGER NOT NULL,
    destination     TEXT NOT NULL,
    subscription    TEXT NOT NULL,
    le_ms           INTEGER NOT NULL,
    count           INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (minute, destination, subscription, le_ms)
) WITHOUT ROWID;

-- Ingest per source, written by enqueue with the jobs it stores.
CREATE TABLE history_sources (
    minute          INTEGER NOT NULL,
    source          TEXT NOT NULL,
    accepted        INTEGER NOT NULL DEFAULT 0,
    rejected        INTEGER NOT NULL DEFAULT 0,
    unmatched       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (minute, source)
) WITHOUT ROWID;

-- Errors waiting to be grouped (history.fold_errors normalizes them in Python, then deletes them).
CREATE TABLE error_inbox (
    id              INTEGER PRIMARY KEY,
    job_id          INTEGER NOT NULL,
    kind            TEXT NOT NULL,          -- invalid, retry, dead
    at              REAL NOT NULL,
    error           TEXT
);

CREATE TABLE error_groups (
    destination     TEXT NOT NULL,
    subscription    TEXT NOT NULL,
    error           TEXT NOT NULL,          -- normalized
    group_id        TEXT NOT NULL,
    count           INTEGER NOT NULL,
    first_seen      REAL NOT NULL,
    last_seen       REAL NOT NULL,
    PRIMARY KEY (destination, subscription, error)
);
CREATE INDEX error_groups_last_seen ON error_groups (last_seen);

CREATE TABLE error_samples (
    id              INTEGER PRIMARY KEY,
    group_id        TEXT NOT NULL,
    job_id          INTEGER NOT NULL,
    at              REAL NOT NULL,
    error           TEXT NOT NULL,
    event           TEXT,                   -- JSON, as received
    request         TEXT,                   -- JSON, the row sent (None: our own validation error)
    response        TEXT                    -- JSON, SFMC's answer when kept
);
CREATE INDEX error_samples_group ON error_samples (group_id, at);

-- The error group of a dead letter, so the console can list a group's dead letters. Nullable: no rewrite.
ALTER TABLE jobs ADD COLUMN error_group TEXT;
CREATE INDEX jobs_error_group ON jobs (error_group, updated_at) WHERE error_group IS NOT NULL;

-- Stored dead at enqueue: the mapping or the payload check refused it (invalid).
CREATE TRIGGER jobs_history_invalid AFTER INSERT ON jobs WHEN NEW.state = 'dead'
BEGIN
    INSERT INTO history (minute, destination, subscription, invalid)
    VALUES (CAST(NEW.created_at / 60 AS INTEGER) * 60, 'default', coalesce(NEW.subscription, ''), 1)
    ON CONFLICT (minute, destination, subscription) DO UPDATE SET invalid = invalid + 1;
    INSERT INTO error_inbox (job_id, kind, at, error) VALUES (NEW.id, 'invalid', NEW.created_at, NEW.dead_reason);
END;

CREATE TRIGGER jobs_history_delivered AFTER UPDATE OF state ON jobs
WHEN NEW.state = 'delivered' AND OLD.state <> 'delivered'
BEGIN
    INSERT INTO history (minute, destination, subscription, delivered)
    VALUES (CAST(coalesce(NEW.delivered_at, NEW.updated_at) / 60 AS INTEGER) * 60, 'default',
            coalesce(NEW.subscription, ''), 1)
    ON CONFLICT (minute, destination, subscription) DO UPDATE SET delivered = delivered + 1;
    INSERT INTO history_latency (minute, destination, subscription, le_ms, count)
    SELECT CAST(NEW.delivered_at / 60 AS INTEGER) * 60, 'default', coalesce(NEW.subscription, ''),
           CASE WHEN ms <= 50 THEN 50 WHEN ms <= 100 THEN 100 WHEN ms <= 250 THEN 250 WHEN ms <= 500 THEN 500
                WHEN ms <= 1000 THEN 1000 WHEN ms <= 2500 THEN 2500 WHEN ms <= 5000 THEN 5000
                WHEN ms <= 10000 THEN 10000 WHEN ms <= 30000 THEN 30000 WHEN ms <= 60000 THEN 60000
                WHEN ms <= 300000 THEN 300000 WHEN ms <= 900000 THEN 900000 WHEN ms <= 3600000 THEN 3600000
                WHEN ms <= 14400000 THEN 14400000 WHEN ms <= 86400000 THEN 86400000 ELSE 1000000000000 END,
           1
    FROM (SELECT (NEW.delivered_at - NEW.created_at) * 1000.0 AS ms) WHERE ms IS NOT NULL
    ON CONFLICT (minute, destination, subscription, le_ms) DO UPDATE SET count = count + 1;
END;

-- Dead while being delivered, or a delivered journey entry SFMC reported errored later (it did not enter: taken
-- off the delivered count of the minute it was counted in).
CREATE TRIGGER jobs_history_dead AFTER UPDATE OF state ON jobs
WHEN NEW.state = 'dead' AND OLD.state <> 'dead'
BEGIN
    INSERT INTO history (minute, destination, subscription, dead)
    VALUES (CAST(NEW.updated_at / 60 AS INTEGER) * 60, 'default', coalesce(NEW.subscription, ''), 1)
    ON CONFLICT (minute, destination, subscription) DO UPDATE SET dead = dead + 1;
    UPDATE history SET delivered = delivered - 1
    WHERE OLD.state = 'delivered' AND minute = CAST(OLD.delivered_at / 60 AS INTEGER) * 60
      AND destination = 'default' AND subscription = coalesce(NEW.subscription, '');
    INSERT INTO error_inbox (job_id, kind, at, error) VALUES (NEW.id, 'dead', NEW.updated_at, NEW.dead_reason);
END;

-- A failed attempt scheduled again: claimed -> pending with the attempt kept (a release or a postponement gives
-- the attempt back, and is not an outcome).
CREATE TRIGGER jobs_history_retried AFTER UPDATE OF state ON jobs
WHEN OLD.state = 'claimed' AND NEW.state = 'pending' AND NEW.attempts = OLD.attempts
BEGIN
    INSERT INTO history (minute, destination, subscription, retried)
    VALUES (CAST(NEW.updated_at / 60 AS INTEGER) * 60, 'default', coalesce(NEW.subscription, ''), 1)
    ON CONFLICT (minute, destination, subscription) DO UPDATE SET retried = retried + 1;
    INSERT INTO error_inbox (job_id, kind, at, error) VALUES (NEW.id, 'retry', NEW.updated_at, NEW.last_error);
END;

CREATE TRIGGER jobs_history_in_doubt AFTER UPDATE OF in_doubt ON jobs
WHEN NEW.in_doubt AND NOT OLD.in_doubt
BEGIN
    INSERT INTO history (minute, destination, subscription, in_doubt)
    VALUES (CAST(NEW.updated_at / 60 AS INTEGER) * 60, 'default', coalesce(NEW.subscription, ''), 1)
    ON CONFLICT (minute, destination, subscription) DO UPDATE SET in_doubt = in_doubt + 1;
END;
