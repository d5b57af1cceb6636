-- Formation schema for PostgreSQL, version 1: the named-query table.
--
-- The Orleans ADO.NET providers ship no SQL. At start each provider runs
--   SELECT QueryKey, QueryText FROM OrleansQuery
-- and afterwards executes only the query texts it finds there, with its own parameters
-- (@DeploymentId, @GrainIdHash, ...). The later scripts of this folder create the tables and
-- register the query texts that implement each provider's contract.
-- Unquoted names fold to lower case, which is what the providers' unquoted SELECT asks for.

CREATE TABLE IF NOT EXISTS OrleansQuery
(
    QueryKey  varchar(64) NOT NULL PRIMARY KEY,
    QueryText text        NOT NULL
);
