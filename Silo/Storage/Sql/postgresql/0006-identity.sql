-- Formation schema for PostgreSQL, version 6: the cluster's identity (issue 12, part 1).
-- formation_cluster_authority: one row per cluster, written by the node that made the cluster CA (its SHA-256
-- fingerprint, that node and its join endpoint); a second node that starts without a join token finds it and is
-- refused instead of making a CA of its own.
-- formation_join_tokens: one-time join tokens, kept only as the SHA-256 of their secret. A token is used by one
-- UPDATE ... WHERE used_ms IS NULL AND expires_ms > now: of two nodes racing with one token, one wins.
-- Times are Unix milliseconds (BIGINT), the same text of SQL on PostgreSQL and SQLite.

CREATE TABLE IF NOT EXISTS formation_cluster_authority
(
    service_id     TEXT   NOT NULL,
    cluster_id     TEXT   NOT NULL,
    fingerprint    TEXT   NOT NULL,
    holder_node    TEXT   NOT NULL,
    join_endpoint  TEXT   NOT NULL,
    created_ms     BIGINT NOT NULL,
    PRIMARY KEY (service_id, cluster_id)
);

CREATE TABLE IF NOT EXISTS formation_join_tokens
(
    service_id   TEXT   NOT NULL,
    cluster_id   TEXT   NOT NULL,
    token_hash   TEXT   NOT NULL,
    created_ms   BIGINT NOT NULL,
    expires_ms   BIGINT NOT NULL,
    used_ms      BIGINT NULL,
    used_by      TEXT   NULL,
    PRIMARY KEY (service_id, cluster_id, token_hash)
);
