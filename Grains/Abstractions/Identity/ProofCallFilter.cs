namespace Formation.Identity;

/// <summary>
/// A client's outgoing grain call filter (form, the dashboard, tests): every call carries a proof made with the client's
/// credential. Whatever the client may have put under <see cref="CallerContext.Key"/> is ignored by the silo.
/// </summary>
public sealed class ProofCallFilter(ProofSigner signer) : IOutgoingGrainCallFilter
{
    public Task Invoke(IOutgoingGrainCallContext context)
    {
        RequestContext.Set(CallerProof.Key, signer.Sign());
        return context.Invoke();
    }
}
