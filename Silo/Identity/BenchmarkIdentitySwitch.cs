using Formation.Silo.Hosting;

namespace Formation.Silo.Identity;

/// <summary>
/// The benchmark-only switch that runs an embedded silo without identity (no mutual TLS on the gateway, no proofs, every
/// client call acting as the system), so <c>bench/Fabric</c> can measure what identity costs against the same silo
/// without it. A silo that took it would hand the whole host to anyone who reaches its gateway, so it needs
/// <see cref="EnvironmentVariable"/>=1 in the silo's own environment and is refused in cluster mode whatever the
/// environment says; <see cref="SiloConfig.Resolve"/> turns a refusal into a start-up error.
/// </summary>
public static class BenchmarkIdentitySwitch
{
    /// <summary>The environment variable a benchmark sets to be allowed <see cref="FormationOptions.BenchmarkWithoutIdentity"/>.</summary>
    public const string EnvironmentVariable = "FORMATION_BENCHMARK_WITHOUT_IDENTITY";

    /// <summary>Why the switch may not be on here, or null when it is off or allowed.</summary>
    public static string? Problem(bool requested, FormationMode mode, string? environmentValue)
    {
        if (!requested)
        {
            return null;
        }

        if (mode != FormationMode.Embedded)
        {
            return "Formation:BenchmarkWithoutIdentity is for benchmarks of an embedded silo only; a cluster never runs without identity (remove the setting).";
        }

        return environmentValue == "1"
            ? null
            : $"Formation:BenchmarkWithoutIdentity turns mutual TLS and every caller check off and is for benchmarks only; it needs {EnvironmentVariable}=1 (remove the setting).";
    }
}
