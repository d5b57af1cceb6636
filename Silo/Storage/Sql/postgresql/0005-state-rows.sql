-- Formation schema for PostgreSQL, version 5: row-per-entry state of Formation's map-like grains
-- (the scheduler's nodes and reservations, the VM catalog). Written by SqlStateRowStore: a batch of
-- upserts and deletes in one transaction, so a placement rewrites one row, not the whole ledger.

CREATE TABLE IF NOT EXISTS formation_state_rows
(
    service_id  TEXT        NOT NULL,
    collection  TEXT        NOT NULL,
    scope       TEXT        NOT NULL,
    row_key     TEXT        NOT NULL,
    payload     TEXT        NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (service_id, collection, scope, row_key)
);
