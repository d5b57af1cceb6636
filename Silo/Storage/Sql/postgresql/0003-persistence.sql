-- Formation schema for PostgreSQL, version 3: grain state (Orleans.Persistence.AdoNet).
--
-- Contract (read from the provider's source):
-- * A grain's state is found by (@ServiceId, @GrainTypeString, @GrainIdN0, @GrainIdN1,
--   @GrainIdExtensionString). @GrainTypeString is the state's name. Integer keys come as
--   N0 = 0, N1 = key; Guid keys as their two 64-bit halves; string keys as N0 = N1 = 0 with the
--   whole key in the extension; compound keys carry their string part in the extension, which is
--   NULL when there is none (stored here as ''). @GrainIdHash and @GrainTypeHash are kept for
--   diagnostics only.
-- * The version is the grain state's etag. ReadFromStorageKey answers PayloadBinary and Version
--   (no row = no state). A NULL payload with a version means "cleared".
-- * WriteToStorageKey inserts version 1 when @GrainStateVersion is NULL, or increases the
--   version when it equals the stored one, and answers NewGrainStateVersion. The provider takes
--   no row, a NULL or an unchanged version as an etag mismatch and throws
--   InconsistentStateException; these queries answer exactly one row, NULL on a mismatch.
-- * ClearStorageKey keeps the row, drops the payload and increases the version; DeleteStorageKey
--   (DeleteStateOnClear = true) removes the row and answers the old version + 1. Both answer one
--   row whose first column is NULL on an etag mismatch.

CREATE TABLE IF NOT EXISTS orleans_storage
(
    service_id         text        NOT NULL,
    state_name         text        NOT NULL,
    grain_id_n0        bigint      NOT NULL,
    grain_id_n1        bigint      NOT NULL,
    grain_id_extension text        NOT NULL,
    grain_id_hash      integer     NOT NULL,
    grain_type_hash    integer     NOT NULL,
    payload            bytea,
    version            integer     NOT NULL,
    modified_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (service_id, state_name, grain_id_n0, grain_id_n1, grain_id_extension)
);

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES

('ReadFromStorageKey', $sql$
SELECT payload AS "PayloadBinary", version AS "Version"
FROM orleans_storage
WHERE service_id = @ServiceId
  AND state_name = @GrainTypeString
  AND grain_id_n0 = @GrainIdN0
  AND grain_id_n1 = @GrainIdN1
  AND grain_id_extension = COALESCE(@GrainIdExtensionString, '');
$sql$),

('WriteToStorageKey', $sql$
WITH updated AS (
    UPDATE orleans_storage
    SET payload = @PayloadBinary, version = version + 1, modified_at = now()
    WHERE @GrainStateVersion IS NOT NULL
      AND service_id = @ServiceId
      AND state_name = @GrainTypeString
      AND grain_id_n0 = @GrainIdN0
      AND grain_id_n1 = @GrainIdN1
      AND grain_id_extension = COALESCE(@GrainIdExtensionString, '')
      AND version = @GrainStateVersion
    RETURNING version
), inserted AS (
    INSERT INTO orleans_storage
        (service_id, state_name, grain_id_n0, grain_id_n1, grain_id_extension,
         grain_id_hash, grain_type_hash, payload, version)
    SELECT @ServiceId, @GrainTypeString, @GrainIdN0, @GrainIdN1, COALESCE(@GrainIdExtensionString, ''),
           @GrainIdHash, @GrainTypeHash, @PayloadBinary, 1
    WHERE @GrainStateVersion IS NULL
    ON CONFLICT DO NOTHING
    RETURNING version
)
SELECT COALESCE((SELECT version FROM updated), (SELECT version FROM inserted)) AS "NewGrainStateVersion";
$sql$),

('ClearStorageKey', $sql$
WITH cleared AS (
    UPDATE orleans_storage
    SET payload = NULL, version = version + 1, modified_at = now()
    WHERE service_id = @ServiceId
      AND state_name = @GrainTypeString
      AND grain_id_n0 = @GrainIdN0
      AND grain_id_n1 = @GrainIdN1
      AND grain_id_extension = COALESCE(@GrainIdExtensionString, '')
      AND version = @GrainStateVersion
    RETURNING version
)
SELECT (SELECT version FROM cleared) AS "Version";
$sql$),

('DeleteStorageKey', $sql$
WITH deleted AS (
    DELETE FROM orleans_storage
    WHERE service_id = @ServiceId
      AND state_name = @GrainTypeString
      AND grain_id_n0 = @GrainIdN0
      AND grain_id_n1 = @GrainIdN1
      AND grain_id_extension = COALESCE(@GrainIdExtensionString, '')
      AND version = @GrainStateVersion
    RETURNING version
)
SELECT (SELECT version + 1 FROM deleted) AS "Version";
$sql$)

ON CONFLICT (QueryKey) DO UPDATE SET QueryText = excluded.QueryText;
