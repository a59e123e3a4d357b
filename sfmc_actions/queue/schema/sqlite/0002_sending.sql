-- In-doubt sends (journey entries): a worker marks a job before sending a request that must not be repeated,
-- and recording the outcome clears the mark. A claim that finds a mark knows the previous holder may have
-- sent the request and died before recording SFMC's answer: the job is in doubt until an outcome is recorded.
ALTER TABLE jobs ADD COLUMN sending_at REAL;                          -- set by mark_sending, for this claim
ALTER TABLE jobs ADD COLUMN in_doubt INTEGER NOT NULL DEFAULT 0;      -- a previous claim's mark, carried over
