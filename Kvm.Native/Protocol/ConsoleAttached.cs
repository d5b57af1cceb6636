namespace Formation.Vmm.Protocol;

/// <summary>The result of console: <c>{"attached":true}</c>; the next byte on the connection is console output.</summary>
public sealed record ConsoleAttached(bool Attached);
