using System.Diagnostics.Metrics;

namespace Formation.Grains.Metrics;

/// <summary>
/// The fabric's meter: one name (<see cref="Name"/>) for every <c>formation.*</c> instrument that counts what the fabric
/// does (placements, builds, the edge proxy, DNS), whichever room records it. Each room gets its meter from the host's
/// <see cref="IMeterFactory"/>, which hands out one shared meter per name, so the exporters add one name and see all.
/// </summary>
public static class FabricMeter
{
    public const string Name = "Formation.Fabric";

    /// <summary>Orleans' own meter (grain calls, activations, messaging): exported as it is, not counted again.</summary>
    public const string OrleansName = "Microsoft.Orleans";

    /// <summary>Bucket bounds (seconds) for operations from microseconds to seconds: a placement, a DNS answer, a proxied request.</summary>
    public static readonly IReadOnlyList<double> FastSeconds =
        [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    /// <summary>Bucket bounds (seconds) for operations of seconds to an hour: a build, a guest's boot.</summary>
    public static readonly IReadOnlyList<double> SlowSeconds =
        [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 3600];

    /// <summary>The fabric meter from <paramref name="factory"/> (the same instance for every caller of one factory).</summary>
    public static Meter Create(IMeterFactory factory) => factory.Create(Name, "1.0");

    /// <summary>A histogram in seconds with <paramref name="buckets"/> as its advised bucket bounds.</summary>
    public static Histogram<double> Seconds(Meter meter, string name, string description, IReadOnlyList<double> buckets) =>
        meter.CreateHistogram(name, "s", description, tags: null, new InstrumentAdvice<double> { HistogramBucketBoundaries = buckets });

    /// <summary>An error kind or outcome as a label value: lower case words joined by '_' (<c>NoCapacity</c> → <c>no_capacity</c>).</summary>
    public static string Label(string pascal)
    {
        var text = new System.Text.StringBuilder(pascal.Length + 4);
        for (var i = 0; i < pascal.Length; i++)
        {
            var c = pascal[i];
            if (char.IsUpper(c) && i > 0)
            {
                text.Append('_');
            }

            text.Append(char.ToLowerInvariant(c));
        }

        return text.ToString();
    }
}
