namespace Formation.Silo.Tests.Storage;

/// <summary>A grain that registers reminders through the reminder table under test and counts their ticks.</summary>
[Alias("Formation.Silo.Tests.Storage.IReminderProbeGrain")]
public interface IReminderProbeGrain : IGrainWithStringKey
{
    /// <summary>Registers or updates reminder <paramref name="name"/>.</summary>
    Task RegisterAsync(string name, TimeSpan dueTime, TimeSpan period);

    /// <summary>Answers the names of the grain's reminders, as the reminder table has them.</summary>
    Task<IReadOnlyList<string>> ListAsync();

    /// <summary>Unregisters reminder <paramref name="name"/> if it exists.</summary>
    Task UnregisterAsync(string name);

    /// <summary>Answers how often reminder <paramref name="name"/> fired in this activation.</summary>
    Task<int> TicksAsync(string name);
}
