namespace Formation.Silo.Metrics;

/// <summary>The run-queue averages of <c>/proc/loadavg</c>.</summary>
public readonly record struct LoadAverage(double One, double Five, double Fifteen);
