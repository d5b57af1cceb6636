namespace Formation.Display;

/// <summary>How a state should look: the CLI turns a tone into a terminal color, the dashboard into a theme color.</summary>
public enum Tone
{
    /// <summary>In between (Pending, Provisioning, Stopping, ...).</summary>
    Neutral = 0,

    /// <summary>As wanted (Running, Healthy, Ready).</summary>
    Good = 1,

    /// <summary>Deliberately not running, or busy (Paused, Stopped, Building).</summary>
    Caution = 2,

    /// <summary>Needs attention (Failed, Lost, Unhealthy).</summary>
    Bad = 3,

    /// <summary>Gone or out of the picture (Left, Deleted).</summary>
    Muted = 4,
}
