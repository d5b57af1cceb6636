using Formation.Identity;

namespace Formation.Silo.Identity;

/// <summary>
/// The silo's incoming grain call filter: every call to a Formation grain must carry a valid <see cref="CallerProof"/>;
/// the caller it proves replaces whatever the sender put under <see cref="CallerContext.Key"/>, and a call without one
/// is refused before the grain runs. Calls to Orleans' own grains (streams' pub/sub, reminders, the membership
/// machinery) are not refused — the gateway's mutual TLS already admits only holders of a cluster credential — but a
/// caller they carry is set from their proof too, or removed, so no client-made caller reaches grain code that way;
/// except two stream paths that would leak other accounts' events: a consumer registration is checked against
/// <see cref="StreamAccess"/>, and the memory streams' queue grains answer only nodes.
/// A method marked <see cref="NodeOnlyAttribute"/> (on itself or its interface) is refused to any proof not signed by a
/// node's certificate — admins included: they reach those paths through the user-facing methods in front of them.
/// A proof whose certificate this silo has not seen yet is refused on both paths (<see cref="CallerProof.CertificateNeeded"/>):
/// the sender's filter sends it again with the certificate, so the callee sees the same caller as before a restart.
/// </summary>
public sealed class IdentityCallFilter(ProofVerifier verifier, IGrainFactory grains) : IIncomingGrainCallFilter
{
    public Task Invoke(IIncomingGrainCallContext context)
    {
        var proof = CallerProof.Current;
        if (IsFormation(context))
        {
            var pending = verifier.VerifyAsync(proof, out var viaNode);
            if (!viaNode && NodeOnlyMethods.IsNodeOnly(context.InterfaceMethod))
            {
                throw new Errors.FormationException(Errors.ErrorKind.PermissionDenied,
                    $"{context.InterfaceMethod!.DeclaringType!.Name}.{context.InterfaceMethod.Name} is internal to the cluster's nodes and " +
                    "cannot be called by a client, admins included: use the form command (or API) for what you meant to do.");
            }

            if (pending.IsCompletedSuccessfully)
            {
                CallerContext.Set(pending.Result);
                return context.Invoke();
            }

            return SlowAsync(pending, context);
        }

        return OtherAsync(proof, context);
    }

    private static async Task SlowAsync(ValueTask<Caller> pending, IIncomingGrainCallContext context)
    {
        CallerContext.Set(await pending);
        await context.Invoke();
    }

    private async Task OtherAsync(CallerProof? proof, IIncomingGrainCallContext context)
    {
        Caller? caller = null;
        var viaNode = false;
        if (proof is not null)
        {
            try
            {
                var pending = verifier.VerifyAsync(proof, out var node);
                caller = await pending;
                viaNode = node;
            }
            catch (Errors.FormationException ex) when (!CallerProof.AsksForCertificate(ex))
            {
                // Any other refusal: the call goes on without a caller. Asked for the certificate: refused, so the sender sends it again.
            }
        }

        if (caller is null)
        {
            CallerContext.Clear();
        }
        else
        {
            CallerContext.Set(caller);
        }

        if (!viaNode && StreamSubscription.IsQueueAccess(context))
        {
            throw new Errors.FormationException(Errors.ErrorKind.PermissionDenied,
                "the event streams' queues are internal to the cluster's nodes: follow events with `form vm events --follow`.");
        }

        if (StreamSubscription.Of(context) is { } stream)
        {
            await CheckSubscriptionAsync(StreamAccess.For(stream.GetNamespace(), stream.GetKeyAsString(), caller, viaNode));
        }

        await context.Invoke();
    }

    /// <summary>Applies a subscription rule; a VM's stream asks the catalog, as the caller, whether that VM is theirs to see.</summary>
    private async Task CheckSubscriptionAsync(StreamAccess.Rule rule)
    {
        switch (rule)
        {
            case StreamAccess.Rule.Refused refused:
                throw refused.Error;
            case StreamAccess.Rule.IfMayActOnVm vm:
                // NotFound (the catalog's own text for a VM that does not exist) when the caller may not see it.
                var found = await grains.GetGrain<Formation.Vms.IVmCatalogGrain>(GrainKeys.Cluster).ResolveAsync(vm.VmId);
                if (found.Id != vm.VmId)
                {
                    // ResolveAsync also takes names: a VM named like another's id must not open that id's stream.
                    throw new Errors.FormationException(Errors.ErrorKind.NotFound, $"no VM with id '{vm.VmId}'.");
                }

                break;
        }
    }

    /// <summary>True for interfaces of Formation's own contracts (namespace <c>Formation</c> or below).</summary>
    public static bool IsFormation(IGrainCallContext context) =>
        context.InterfaceMethod?.DeclaringType?.Namespace is { } ns && (ns == "Formation" || ns.StartsWith("Formation.", StringComparison.Ordinal));
}
