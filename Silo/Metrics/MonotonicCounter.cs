namespace Formation.Silo.Metrics;

/// <summary>
/// Turns a raw counter that starts again from zero (a VM's process restarted, its TAP was made again) into one that only
/// grows, so rates computed from it are never negative. A new <c>generation</c> (another process) or a raw value below
/// the last one means the source started over: everything it counted since then is new.
/// </summary>
public sealed class MonotonicCounter
{
    private double _last;
    private string? _generation;

    public double Total { get; private set; }

    /// <summary>Adds what the source counted since the last observation; returns the new total.</summary>
    public double Observe(double raw, string generation)
    {
        if (raw < 0)
        {
            return Total;
        }

        if (_generation is null)
        {
            // First sight: what the source has counted so far (since its process started) is all this VM's.
            Total = raw;
        }
        else if (generation != _generation || raw < _last)
        {
            Total += raw;
        }
        else
        {
            Total += raw - _last;
        }

        _last = raw;
        _generation = generation;
        return Total;
    }
}
