using System.Net;

namespace Formation.Silo.Dns;

/// <summary>An A record: the name resolves to this IPv4 address.</summary>
public sealed record AddressRecord(IPAddress Address) : ZoneRecord;
