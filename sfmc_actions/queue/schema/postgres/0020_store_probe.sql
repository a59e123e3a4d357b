-- One row, rewritten by the write probe (/readyz, start-up): a write that commits without growing the store.
CREATE TABLE store_probe (
    id integer PRIMARY KEY CHECK (id = 1),
    checked_at timestamptz NOT NULL
);
