using Formation.Identity;

namespace Formation.Silo.Identity;

/// <summary>
/// The silo's outgoing grain call filter: every call a silo makes (grain to grain, the local API, the HTTP API,
/// background work) carries a proof signed with the node's key on behalf of <see cref="CallerContext.Established"/>, or
/// of <see cref="Caller.System"/> when none is. So the callee's <see cref="IdentityCallFilter"/> sees the same caller,
/// and a caller set by silo code (a front end that established its user, a grain acting as System) is what travels.
/// A caller that only arrived in a request context — a stream event carries its publisher's, which a client may have
/// forged — is never vouched for: the node speaks for what this process verified or set itself. Like a client's, the
/// proof carries the node certificate's fingerprint and the certificate only when the callee asks for it.
/// </summary>
public sealed class NodeProofFilter(ProofSigner node) : IOutgoingGrainCallFilter
{
    public Task Invoke(IOutgoingGrainCallContext context) => ProofCallFilter.SendAsync(context, node, CallerContext.Established ?? Caller.System);
}
