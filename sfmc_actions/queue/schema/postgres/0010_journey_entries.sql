-- Journey entries that settle their own doubt, and audience exits that keep the order of their row.
-- sent_from / sent_until: the time window of the last send of a journey entry (set when the job is marked as
-- sending; sent_until when its answer was lost), for asking SFMC's status endpoint what it has from that send.
-- request_id / event_instance_id: what SFMC answered for a delivered batched entry (requestId, eventInstanceId),
-- to find the entries that end `errored` later and to leave known requests out of a doubt's resolution.
-- order_key: the data extension row a job of an `on_audience_exit: delete` subscription writes or deletes; a job
-- is not sent while an earlier job of the same row is still waiting (they reach SFMC in the order accepted).
-- Nullable columns without a default: no table rewrite, so this is instant on a big queue.
ALTER TABLE jobs ADD COLUMN sent_from timestamptz;
ALTER TABLE jobs ADD COLUMN sent_until timestamptz;
ALTER TABLE jobs ADD COLUMN request_id text;
ALTER TABLE jobs ADD COLUMN event_instance_id text;
ALTER TABLE jobs ADD COLUMN order_key text;

-- Partial: only delivered batched journey entries enter the first two, only waiting ordered jobs the third.
CREATE INDEX jobs_entries ON jobs (sent_from) WHERE request_id IS NOT NULL;
CREATE INDEX jobs_entry_instances ON jobs (event_instance_id) WHERE event_instance_id IS NOT NULL;
CREATE INDEX jobs_row_order ON jobs (order_key, id) WHERE order_key IS NOT NULL AND state IN ('pending', 'claimed');
