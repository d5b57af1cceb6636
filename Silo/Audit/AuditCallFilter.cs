using Formation.Audit;
using Formation.Errors;
using Formation.Identity;

namespace Formation.Silo.Audit;

/// <summary>
/// Records each call to a [Mutating] grain method that a user made, once per request. "Made by a user": the request
/// carries a caller (<see cref="CallerContext.Current"/>) other than <see cref="Caller.System"/>. "Once": only the call that
/// entered the cluster is recorded, i.e. one whose sender is a client (the <c>form</c> CLI, or the silo's own hosted client
/// that the local and HTTP APIs use) — the grain-to-grain calls it fans out to carry the same caller but come from a grain.
/// The sender is the runtime's, not something a client can set in the request context, so it cannot be used to skip the
/// trail. The row is queued (<see cref="AuditWriter.TryRecord"/>) after the call ended; recording never fails a call.
/// This filter must run after the identity filter, which establishes the verified caller.
/// </summary>
internal sealed class AuditCallFilter(AuditWriter writer, ILocalSiloDetails silo, TimeProvider time) : IIncomingGrainCallFilter
{
    private const int MaxError = 500;

    public async Task Invoke(IIncomingGrainCallContext context)
    {
        if (context.InterfaceMethod is not { } method
            || AuditActions.Of(method) is not { } action
            || CallerContext.Current is not { } caller
            || caller.Equals(Caller.System)
            || context.SourceId is not { } source
            || !GrainTypePrefix.IsClient(source))
        {
            await context.Invoke();
            return;
        }

        var at = time.GetUtcNow();
        var started = time.GetTimestamp();
        try
        {
            await context.Invoke();
            Record(context, method, action, caller, at, started, AuditEntry.Ok, null);
        }
        catch (Exception e)
        {
            var (result, message) = e is FormationException f ? (f.Kind.ToString(), f.Message) : (AuditEntry.Failed, $"{e.GetType().Name}: {e.Message}");
            Record(context, method, action, caller, at, started, result, message.Length <= MaxError ? message : message[..(MaxError - 1)] + "…");
            throw;
        }
    }

    private void Record(IIncomingGrainCallContext context, System.Reflection.MethodInfo method, string action, Caller caller,
        DateTimeOffset at, long started, string result, string? error)
    {
        var request = context.Request;
        var arguments = new object?[request.GetArgumentCount()];
        for (var i = 0; i < arguments.Length; i++)
        {
            arguments[i] = request.GetArgument(i);
        }

        writer.TryRecord(new AuditEntry(0, at, caller.Account, action, context.TargetId.Key.ToString() ?? "",
            AuditArguments.Summarize(method, arguments), result, error, (long)time.GetElapsedTime(started).TotalMilliseconds, silo.Name));
    }
}
