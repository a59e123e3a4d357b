-- Several SFMC destinations in one store (config `destinations:`): a job carries the name of the destination it
-- is delivered to. Rows from before are the top-level form's one destination, 'default'; rejected events belong
-- to none (NULL). A constant default rewrites no row (PostgreSQL 11+).
ALTER TABLE jobs ADD COLUMN destination text DEFAULT 'default';

-- Each destination's workers claim only its jobs, so a throttled destination's backlog must never be scanned by
-- another's claim: the oldest claimable job of one destination, then the oldest of its batch key (two
-- destinations may write data extensions of the same key, on different business units).
DROP INDEX jobs_claimable_by_key;
CREATE INDEX jobs_claimable_by_key ON jobs (destination, batch_key, available_at, id)
    WHERE state IN ('pending', 'claimed');
CREATE INDEX jobs_claimable_by_destination ON jobs (destination, available_at, id)
    WHERE state IN ('pending', 'claimed');

-- De-duplication keys per destination + subscription (two destinations may each have an 'orders').
ALTER TABLE dedupe_keys ADD COLUMN destination text NOT NULL DEFAULT 'default';
ALTER TABLE dedupe_keys DROP CONSTRAINT dedupe_keys_pkey;
ALTER TABLE dedupe_keys ADD PRIMARY KEY (destination, subscription, message_id);
