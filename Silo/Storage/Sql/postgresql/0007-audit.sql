-- Formation schema for PostgreSQL, version 7: the audit trail (issue 12, part 2).
-- formation_audit: one row per mutating request a user made (Silo/Audit writes them in batches, off the request path).
-- id orders the rows for `form audit --follow`; recorded_at (the database's clock at insert) lets a follower skip rows
-- younger than a moment, so a row whose transaction commits after a later id's is not passed over.
-- at_ms and duration_ms are Unix milliseconds (BIGINT), as in 0006. Retention deletes by at_ms and by row count.

CREATE TABLE IF NOT EXISTS formation_audit
(
    id           BIGINT      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    service_id   TEXT        NOT NULL,
    at_ms        BIGINT      NOT NULL,
    account      TEXT        NOT NULL,
    action       TEXT        NOT NULL,
    target       TEXT        NOT NULL,
    arguments    TEXT        NOT NULL,
    result       TEXT        NOT NULL,
    error        TEXT        NULL,
    duration_ms  BIGINT      NOT NULL,
    node         TEXT        NOT NULL,
    recorded_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS formation_audit_by_service ON formation_audit (service_id, id);
CREATE INDEX IF NOT EXISTS formation_audit_by_account ON formation_audit (service_id, account, id);
CREATE INDEX IF NOT EXISTS formation_audit_by_time ON formation_audit (service_id, at_ms);
