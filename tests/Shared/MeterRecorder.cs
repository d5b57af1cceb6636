using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Formation.Testing;

/// <summary>One measurement a <see cref="MeterRecorder"/> heard: the instrument's name and unit, the value and its tags.</summary>
public sealed record RecordedMeasurement(string Instrument, string? Unit, double Value, IReadOnlyDictionary<string, object?> Tags)
{
    public string? Tag(string key) => Tags.TryGetValue(key, out var value) ? Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) : null;
}

/// <summary>
/// A meter factory for unit tests that also listens (a <see cref="MeterListener"/>) to the instruments of the meters it
/// made, and only those: tests running in parallel with their own recorders, or a silo in the same process, are not
/// heard. The silo's real factory (<c>AddMetrics</c>) is exercised by the tests that scrape a real silo.
/// </summary>
public sealed class MeterRecorder : IMeterFactory
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<RecordedMeasurement> _heard = new();
    private readonly ConcurrentBag<Meter> _meters = [];

    public MeterRecorder()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter.Scope, this))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((i, value, tags, _) => Hear(i, value, tags));
        _listener.SetMeasurementEventCallback<int>((i, value, tags, _) => Hear(i, value, tags));
        _listener.SetMeasurementEventCallback<double>((i, value, tags, _) => Hear(i, value, tags));
        _listener.Start();
    }

    /// <summary>Every measurement of <paramref name="instrument"/> so far, in order.</summary>
    public IReadOnlyList<RecordedMeasurement> Of(string instrument) => [.. _heard.Where(m => m.Instrument == instrument)];

    public Meter Create(MeterOptions options)
    {
        options.Scope = this;
        var meter = new Meter(options);
        _meters.Add(meter);
        return meter;
    }

    public void Dispose()
    {
        _listener.Dispose();
        foreach (var meter in _meters)
        {
            meter.Dispose();
        }
    }

    private void Hear(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var copy = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var tag in tags)
        {
            copy[tag.Key] = tag.Value;
        }

        _heard.Enqueue(new RecordedMeasurement(instrument.Name, instrument.Unit, value, copy));
    }
}
