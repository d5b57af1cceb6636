namespace Formation.Vmm.Protocol;

/// <summary>The reply to a request that failed or could not be read: <c>{"id":1,"ok":false,"error":"…"}</c>.</summary>
public sealed record VmmFailure(long? Id, string Error)
{
    public bool Ok => false;
}
