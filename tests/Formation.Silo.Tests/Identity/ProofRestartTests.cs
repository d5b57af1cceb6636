using Formation.Errors;
using Formation.Identity;
using Formation.Silo.Tests.Processes;

namespace Formation.Silo.Tests.Identity;

/// <summary>
/// Proofs carry the certificate's fingerprint, and a silo asks for the certificate itself only when it has not seen it:
/// a real silo process asks a new client once, then takes its fingerprint-only proofs; after the silo restarts (its
/// memory empty) the same connected client's next call is still accepted, because the client sends it again with the
/// certificate when asked.
/// </summary>
public sealed class ProofRestartTests : IDisposable
{
    private readonly TestDirectory _data = new();

    [Fact]
    [Trait("Category", "Slow")] // about 30 s: one silo process, started twice
    public async Task RestartedSilo_AsksForTheCertificateOnce_AndAcceptsTheClientsNextCall()
    {
        var options = new SiloProcessOptions("proof-restart", Path.Combine(_data.Path, "silo"));
        await using var first = await SiloProcess.StartAsync(options);
        await using var client = await ClusterClient.ViaGatewayAsync(options.GatewayPort);
        var registry = client.Client.GetGrain<IAccountRegistryGrain>(GrainKeys.Cluster);
        Assert.Equal(Caller.Admin, await registry.WhoAmIAsync());
        var asked = client.Proofs!.CertificatesSent;
        Assert.True(asked >= 1, "a silo that never saw the client's certificate asks for it");
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(Caller.Admin, await registry.WhoAmIAsync());
        }

        Assert.Equal(asked, client.Proofs.CertificatesSent);

        await first.StopAsync();
        await using var again = await SiloProcess.StartAsync(options with { });
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            try
            {
                Assert.Equal(Caller.Admin, await registry.WhoAmIAsync());
                break;
            }
            catch (Exception ex) when (ex is not FormationException && DateTime.UtcNow < deadline)
            {
                // The client reconnects to the restarted gateway; a refusal (FormationException) fails the test.
                await Task.Delay(500, TestContext.Current.CancellationToken);
            }
        }

        Assert.True(client.Proofs.CertificatesSent > asked, "the restarted silo asked for the certificate again");
    }

    public void Dispose() => _data.Dispose();
}
