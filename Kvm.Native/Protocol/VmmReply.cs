namespace Formation.Vmm.Protocol;

/// <summary>
/// The reply line to a <see cref="VmmRequest{TResult}"/>: <c>{"id":1,"ok":true,"result":…}</c>, or
/// <c>{"id":1,"ok":false,"error":"cannot pause: the VM is paused"}</c> (written as a <see cref="VmmFailure"/>).
/// </summary>
public sealed record VmmReply<TResult>(long? Id = null, bool Ok = false, TResult? Result = default, string? Error = null);
