using Formation.Grains.Hosting;
using Formation.Identity;
using Microsoft.Extensions.DependencyInjection;

namespace Formation.Silo.Identity;

/// <summary>Who is calling: the proof filters, this silo's copy of the accounts, and the CA signer where this node holds it.</summary>
public static class IdentitySiloExtensions
{
    public static ISiloBuilder AddFormationIdentity(this ISiloBuilder silo, ClusterCredential node, ClusterAuthority? authority, IdentityStore? store, string nodeId)
    {
        var services = silo.Services;
        services.AddSingleton<AccountDirectory>();
        services.AddSingleton(sp => new ProofVerifier(node.Ca, sp.GetRequiredService<AccountDirectory>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new ProofSigner(node, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<IdentityCallFilter>();
        services.AddSingleton<NodeProofFilter>();
        services.AddSingleton<IIncomingGrainCallFilter>(sp => sp.GetRequiredService<IdentityCallFilter>());
        services.AddSingleton<IOutgoingGrainCallFilter>(sp => sp.GetRequiredService<NodeProofFilter>());
        var ownKey = new NodeKey(nodeId, node.Certificate.SerialNumber, new DateTimeOffset(node.Certificate.NotAfter.ToUniversalTime()));
        services.AddSingleton(sp => ActivatorUtilities.CreateInstance<AccountDirectoryRefresher>(sp, ownKey));
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<AccountDirectoryRefresher>());
        services.AddSingleton<ICredentialSigner>(sp => new CredentialSigner(authority, store, nodeId, sp.GetRequiredService<TimeProvider>()));
        return silo;
    }
}
