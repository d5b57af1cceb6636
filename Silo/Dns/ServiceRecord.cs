namespace Formation.Silo.Dns;

/// <summary>An SRV record (<c>_http._tcp.&lt;service&gt;</c>); <paramref name="Target"/> is a name relative to the zone.</summary>
public sealed record ServiceRecord(ushort Priority, ushort Weight, ushort Port, string Target) : ZoneRecord;
