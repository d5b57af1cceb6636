namespace Formation.Bench.Fabric;

/// <summary>--name value pairs of the benchmark command line.</summary>
public sealed class BenchOptions(Dictionary<string, string> values)
{
    public static BenchOptions Parse(string[] args)
    {
        var values = new Dictionary<string, string>();
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            values[args[i].TrimStart('-')] = args[i + 1];
        }

        return new BenchOptions(values);
    }

    public int Int(string name, int fallback) => values.TryGetValue(name, out var v) ? int.Parse(v) : fallback;
}
