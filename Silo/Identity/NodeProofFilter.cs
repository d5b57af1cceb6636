using Formation.Identity;

namespace Formation.Silo.Identity;

/// <summary>
/// The silo's outgoing grain call filter: every call a silo makes (grain to grain, the local API, the HTTP API,
/// background work) carries a proof signed with the node's key on behalf of <see cref="CallerContext.Established"/>, or
/// of <see cref="Caller.System"/> when none is. So the callee's <see cref="IdentityCallFilter"/> sees the same caller,
/// and a caller set by silo code (a front end that established its user, a grain acting as System) is what travels.
/// A caller that only arrived in a request context — a stream event carries its publisher's, which a client may have
/// forged — is never vouched for: the node speaks for what this process verified or set itself.
/// </summary>
public sealed class NodeProofFilter(ProofSigner node) : IOutgoingGrainCallFilter
{
    public Task Invoke(IOutgoingGrainCallContext context)
    {
        RequestContext.Set(CallerProof.Key, node.Sign(CallerContext.Established ?? Caller.System));
        return context.Invoke();
    }
}
