namespace Formation.Cli;

/// <summary>What <c>form</c> exits with.</summary>
public static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>The command failed; stderr says why (bad arguments included).</summary>
    public const int Failed = 1;

    /// <summary>No silo answered.</summary>
    public const int NoSilo = 2;
}
