-- Formation schema for SQLite, version 6: the audit trail (see ../postgresql/0007-audit.sql).
-- Embedded mode has one silo and SQLite one writer at a time, so ids become visible in order and no recorded_at is needed.

CREATE TABLE IF NOT EXISTS formation_audit
(
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    service_id   TEXT    NOT NULL,
    at_ms        INTEGER NOT NULL,
    account      TEXT    NOT NULL,
    action       TEXT    NOT NULL,
    target       TEXT    NOT NULL,
    arguments    TEXT    NOT NULL,
    result       TEXT    NOT NULL,
    error        TEXT    NULL,
    duration_ms  INTEGER NOT NULL,
    node         TEXT    NOT NULL
);

CREATE INDEX IF NOT EXISTS formation_audit_by_service ON formation_audit (service_id, id);
CREATE INDEX IF NOT EXISTS formation_audit_by_account ON formation_audit (service_id, account, id);
CREATE INDEX IF NOT EXISTS formation_audit_by_time ON formation_audit (service_id, at_ms);
