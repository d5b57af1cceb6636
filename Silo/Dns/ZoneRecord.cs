namespace Formation.Silo.Dns;

/// <summary>
/// One record of the zone, as a feeder publishes it: no owner name (the table keys records by name) and no TTL (the
/// server's). Independent of the wire library, so feeders do not depend on how the server encodes answers.
/// </summary>
public abstract record ZoneRecord;
