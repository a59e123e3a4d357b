-- In-doubt sends (journey entries): a worker marks a job before sending a request that must not be repeated,
-- and recording the outcome clears the mark. A claim that finds a mark knows the previous holder may have
-- sent the request and died before recording SFMC's answer: the job is in doubt until an outcome is recorded.
-- Nullable and constant-default columns: no table rewrite, so this is instant on a big queue.
ALTER TABLE jobs ADD COLUMN sending_at timestamptz;                   -- set by mark_sending, for this claim
ALTER TABLE jobs ADD COLUMN in_doubt boolean NOT NULL DEFAULT false;  -- a previous claim's mark, carried over
