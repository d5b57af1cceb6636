using Formation.Identity;

namespace Formation.Silo.Identity;

/// <summary>
/// The silo's outgoing grain call filter: every call a silo makes (grain to grain, the local API, the HTTP API,
/// background work) carries a proof signed with the node's key on behalf of <see cref="CallerContext.Current"/>, or of
/// <see cref="Caller.System"/> when none is set. So the callee's <see cref="IdentityCallFilter"/> sees the same caller,
/// and a caller set by silo code (a front end that established its user, a grain acting as System) is what travels.
/// </summary>
public sealed class NodeProofFilter(ProofSigner node) : IOutgoingGrainCallFilter
{
    public Task Invoke(IOutgoingGrainCallContext context)
    {
        RequestContext.Set(CallerProof.Key, node.Sign(CallerContext.CurrentOrSystem));
        return context.Invoke();
    }
}
