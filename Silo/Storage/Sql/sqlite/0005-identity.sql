-- Formation schema for SQLite, version 5: the cluster's identity tables (see ../postgresql/0006-identity.sql).
-- Embedded mode makes no CA and no join tokens; the tables exist so both databases keep one schema.

CREATE TABLE IF NOT EXISTS formation_cluster_authority
(
    service_id     TEXT    NOT NULL,
    cluster_id     TEXT    NOT NULL,
    fingerprint    TEXT    NOT NULL,
    holder_node    TEXT    NOT NULL,
    join_endpoint  TEXT    NOT NULL,
    created_ms     INTEGER NOT NULL,
    PRIMARY KEY (service_id, cluster_id)
);

CREATE TABLE IF NOT EXISTS formation_join_tokens
(
    service_id   TEXT    NOT NULL,
    cluster_id   TEXT    NOT NULL,
    token_hash   TEXT    NOT NULL,
    created_ms   INTEGER NOT NULL,
    expires_ms   INTEGER NOT NULL,
    used_ms      INTEGER NULL,
    used_by      TEXT    NULL,
    PRIMARY KEY (service_id, cluster_id, token_hash)
);
