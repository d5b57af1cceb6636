namespace Formation.Silo.Hosting;

/// <summary>How a silo finds its cluster and where it keeps state.</summary>
public enum FormationMode
{
    /// <summary>One host: localhost clustering, grain state in SQLite in the data directory.</summary>
    Embedded,

    /// <summary>Several hosts: clustering, grain state and reminders in PostgreSQL.</summary>
    Cluster,
}
