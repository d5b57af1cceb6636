-- Formation schema for SQLite, version 2: grain state (Orleans.Persistence.AdoNet).
--
-- The contract is the one described in ../postgresql/0003-persistence.sql. SQLite has no
-- data-modifying CTEs, so each writing query is an UPSERT/UPDATE/DELETE with RETURNING (a row
-- when it changed something) followed by "SELECT NULL ... WHERE changes() = 0" (a row when it
-- did not): like the PostgreSQL queries they answer exactly one row, NULL on an etag mismatch.
-- changes() counts the previous statement of the same connection only, so concurrent writers
-- do not disturb it.
--
-- WriteToStorageKey as one UPSERT:
--   etag NULL, no row        -> insert version 1
--   etag NULL, row exists    -> conflict, DO UPDATE refused (etag NULL)   -> NULL
--   etag v, row at version v -> conflict, DO UPDATE to v + 1
--   etag v, other version    -> conflict, DO UPDATE refused               -> NULL
--   etag v, no row           -> nothing selected to insert                -> NULL

CREATE TABLE IF NOT EXISTS orleans_storage
(
    service_id         TEXT    NOT NULL,
    state_name         TEXT    NOT NULL,
    grain_id_n0        INTEGER NOT NULL,
    grain_id_n1        INTEGER NOT NULL,
    grain_id_extension TEXT    NOT NULL,
    grain_id_hash      INTEGER NOT NULL,
    grain_type_hash    INTEGER NOT NULL,
    payload            BLOB,
    version            INTEGER NOT NULL,
    modified_at        TEXT    NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (service_id, state_name, grain_id_n0, grain_id_n1, grain_id_extension)
);

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES

('ReadFromStorageKey', '
SELECT payload AS PayloadBinary, version AS Version
FROM orleans_storage
WHERE service_id = @ServiceId
  AND state_name = @GrainTypeString
  AND grain_id_n0 = @GrainIdN0
  AND grain_id_n1 = @GrainIdN1
  AND grain_id_extension = ifnull(@GrainIdExtensionString, '''');
'),

('WriteToStorageKey', '
INSERT INTO orleans_storage
    (service_id, state_name, grain_id_n0, grain_id_n1, grain_id_extension,
     grain_id_hash, grain_type_hash, payload, version)
SELECT @ServiceId, @GrainTypeString, @GrainIdN0, @GrainIdN1, ifnull(@GrainIdExtensionString, ''''),
       @GrainIdHash, @GrainTypeHash, @PayloadBinary, 1
WHERE @GrainStateVersion IS NULL
   OR EXISTS (SELECT 1 FROM orleans_storage
              WHERE service_id = @ServiceId
                AND state_name = @GrainTypeString
                AND grain_id_n0 = @GrainIdN0
                AND grain_id_n1 = @GrainIdN1
                AND grain_id_extension = ifnull(@GrainIdExtensionString, ''''))
ON CONFLICT (service_id, state_name, grain_id_n0, grain_id_n1, grain_id_extension) DO UPDATE
SET payload = excluded.payload,
    version = orleans_storage.version + 1,
    modified_at = CURRENT_TIMESTAMP
WHERE @GrainStateVersion IS NOT NULL
  AND orleans_storage.version = @GrainStateVersion
RETURNING version AS NewGrainStateVersion;
SELECT NULL AS NewGrainStateVersion WHERE changes() = 0;
'),

('ClearStorageKey', '
UPDATE orleans_storage
SET payload = NULL, version = version + 1, modified_at = CURRENT_TIMESTAMP
WHERE service_id = @ServiceId
  AND state_name = @GrainTypeString
  AND grain_id_n0 = @GrainIdN0
  AND grain_id_n1 = @GrainIdN1
  AND grain_id_extension = ifnull(@GrainIdExtensionString, '''')
  AND version = @GrainStateVersion
RETURNING version AS Version;
SELECT NULL AS Version WHERE changes() = 0;
'),

('DeleteStorageKey', '
DELETE FROM orleans_storage
WHERE service_id = @ServiceId
  AND state_name = @GrainTypeString
  AND grain_id_n0 = @GrainIdN0
  AND grain_id_n1 = @GrainIdN1
  AND grain_id_extension = ifnull(@GrainIdExtensionString, '''')
  AND version = @GrainStateVersion
RETURNING version + 1 AS Version;
SELECT NULL AS Version WHERE changes() = 0;
')

ON CONFLICT (QueryKey) DO UPDATE SET QueryText = excluded.QueryText;
