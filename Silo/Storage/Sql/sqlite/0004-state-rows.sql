-- Formation schema for SQLite, version 4: row-per-entry state of Formation's map-like grains
-- (see ../postgresql/0005-state-rows.sql).

CREATE TABLE IF NOT EXISTS formation_state_rows
(
    service_id  TEXT NOT NULL,
    collection  TEXT NOT NULL,
    scope       TEXT NOT NULL,
    row_key     TEXT NOT NULL,
    payload     TEXT NOT NULL,
    updated_at  TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (service_id, collection, scope, row_key)
);
