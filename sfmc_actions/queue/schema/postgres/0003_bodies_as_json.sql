-- Events and payloads as json (the text as written) instead of jsonb (a parsed binary form).
-- jsonb re-orders object keys (shortest first), so a payload came back with its fields in another order than
-- it was mapped in, and SFMC received rows whose fields were ordered differently than with SQLite; and parsing
-- it on every insert and printing it on every claim cost more than the rest of those statements (PostgreSQL
-- CPU per job: ~20 µs as jsonb, ~10 µs as json, bench/e2e.py). Nothing queries inside these columns.
-- Rewrites job_bodies once.
ALTER TABLE job_bodies
    ALTER COLUMN event TYPE json USING event::json,
    ALTER COLUMN payload TYPE json USING payload::json;
