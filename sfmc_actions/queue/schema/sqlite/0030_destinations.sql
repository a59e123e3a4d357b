-- Several SFMC destinations in one store (config `destinations:`): a job carries the name of the destination it
-- is delivered to. Rows from before are the top-level form's one destination, 'default'; rejected events belong
-- to none (NULL). ADD COLUMN with a constant default rewrites no row.
ALTER TABLE jobs ADD COLUMN destination TEXT DEFAULT 'default';

-- Each destination's workers claim only its jobs, so a throttled destination's backlog must never be scanned by
-- another's claim: the oldest claimable job of one destination, then the oldest of its batch key (two
-- destinations may write data extensions of the same key, on different business units).
DROP INDEX jobs_claimable_by_key;
CREATE INDEX jobs_claimable_by_key ON jobs (destination, batch_key, available_at)
    WHERE state IN ('pending', 'claimed');
CREATE INDEX jobs_claimable_by_destination ON jobs (destination, available_at)
    WHERE state IN ('pending', 'claimed');

-- De-duplication keys per destination + subscription (two destinations may each have an 'orders'). SQLite cannot
-- change a primary key in place: the table is rebuilt (it holds a day of journey entries' keys at most).
CREATE TABLE dedupe_keys_by_destination (
    destination   TEXT NOT NULL,
    subscription  TEXT NOT NULL,
    message_id    TEXT NOT NULL,
    expires_at    REAL NOT NULL,
    PRIMARY KEY (destination, subscription, message_id)
) WITHOUT ROWID;
INSERT INTO dedupe_keys_by_destination (destination, subscription, message_id, expires_at)
    SELECT 'default', subscription, message_id, expires_at FROM dedupe_keys;
DROP TABLE dedupe_keys;
ALTER TABLE dedupe_keys_by_destination RENAME TO dedupe_keys;
CREATE INDEX dedupe_keys_expiry ON dedupe_keys (expires_at);
