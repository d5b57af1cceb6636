namespace Formation.Silo.Metrics;

/// <summary>One line of <c>/proc/PID/cgroup</c>: hierarchy id, its v1 controllers (none for the v2 hierarchy), the path in it.</summary>
public sealed record CgroupMembership(int Hierarchy, IReadOnlyList<string> Controllers, string Path);
