-- Formation schema for SQLite, version 1: the named-query table.
--
-- The Orleans ADO.NET providers ship no SQL. At start each provider runs
--   SELECT QueryKey, QueryText FROM OrleansQuery
-- and afterwards executes only the query texts it finds there, with its own parameters
-- (@ServiceId, @GrainIdHash, ...). The later scripts of this folder create the tables and
-- register the query texts that implement each provider's contract.
-- Query texts are SQL string literals here: a quote inside one is written twice ('').

CREATE TABLE IF NOT EXISTS OrleansQuery
(
    QueryKey  TEXT NOT NULL PRIMARY KEY,
    QueryText TEXT NOT NULL
);
