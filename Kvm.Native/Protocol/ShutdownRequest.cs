using System.Text.Json.Serialization;

namespace Formation.Vmm.Protocol;

/// <summary>
/// <c>{"cmd":"shutdown","timeoutSeconds":30}</c>: Ctrl-Alt-Del through the i8042, then waits for the guest to stop;
/// kills it when <see cref="TimeoutSeconds"/> (more than 0, at most <see cref="MaxTimeoutSeconds"/>) have passed.
/// </summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record ShutdownRequest : VmmRequest<ExitResult>
{
    public const double MaxTimeoutSeconds = 3600;

    /// <summary>Seconds until the VM is killed; 30 when the request leaves it out.</summary>
    /// <remarks>A setter, not <c>init</c>: the JSON source generator would set a missing init-only property to 0.</remarks>
    public double TimeoutSeconds { get; set; } = 30;
}
