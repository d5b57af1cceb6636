namespace Formation.Cli.Connection;

/// <summary>No silo answered within the connection timeout.</summary>
public sealed class NoSiloException(string message) : Exception(message)
{
    public const string WhatToDo =
        "Start one on this machine with `scripts/run` (or run formation-silo), or point form at a running one with " +
        "--gateway HOST:PORT (cluster mode: --postgres \"CONNECTION STRING\").";
}
