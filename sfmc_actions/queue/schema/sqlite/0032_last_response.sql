-- SFMC's answer to the request that made a job dead (status and body; NULL when SFMC never answered or the job
-- died before sending): the error groups' samples show it as "response from SFMC". Nullable: no rewrite.
ALTER TABLE jobs ADD COLUMN last_response TEXT;
