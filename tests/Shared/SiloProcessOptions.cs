namespace Formation.Testing;

/// <summary>How to start a <see cref="SiloProcess"/>. Ports default to free loopback ports.</summary>
public sealed record SiloProcessOptions(string NodeId, string DataDirectory)
{
    public string Mode { get; init; } = "embedded";

    public string Driver { get; init; } = "sim";

    public string? Postgres { get; init; }

    public int SiloPort { get; init; } = FreePorts.Next();

    public int GatewayPort { get; init; } = FreePorts.Next();

    public Dictionary<string, string> Environment { get; init; } = [];

    /// <summary>formation-silo.dll to run; default: the one next to the test assembly.</summary>
    public string? Executable { get; init; }

    public IEnumerable<string> Arguments()
    {
        yield return "--node-id";
        yield return NodeId;
        yield return "--data-dir";
        yield return DataDirectory;
        yield return "--mode";
        yield return Mode;
        yield return "--driver";
        yield return Driver;
        yield return "--silo-port";
        yield return SiloPort.ToString();
        yield return "--gateway-port";
        yield return GatewayPort.ToString();
        yield return "--advertise";
        yield return "127.0.0.1";
        if (Postgres is not null)
        {
            yield return "--postgres";
            yield return Postgres;
        }
    }
}
