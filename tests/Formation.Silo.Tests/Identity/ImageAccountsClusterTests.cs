using Formation.Images;
using Formation.Services;
using Formation.Silo.Tests.Infrastructure;
using Formation.Silo.Tests.Processes;

namespace Formation.Silo.Tests.Identity;

/// <summary>
/// Images and services per account on a real two-silo cluster (PostgreSQL, mutual TLS, real builds, sim VMs), through
/// <c>form</c> with each account's credential: bob, on the other silo, finds alice's image, service replica and console
/// exactly as absent as ones that do not exist; his <c>form deploy</c> of the same Formfile NAME makes his own image and
/// service, and alice's are unchanged.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class ImageAccountsClusterTests(PostgresServer postgres) : IDisposable
{
    private readonly TestDirectory _data = new();

    [Fact]
    [Trait("Category", "Slow")] // about a minute: two silos, two builds, two dozen form runs
    public async Task AnotherAccount_CannotSeeUseOrDeleteAnImage_NorConsoleIntoOrDeployOverAService_OnTwoTlsSilos()
    {
        postgres.RequireAvailable();
        TestEnvironment.RequireBuilder();
        var database = await postgres.CreateDatabaseAsync("images");
        await using var siloA = await SiloProcess.StartAsync(Options("img-a", database));
        await using var siloB = await ClusterJoin.StartAsync(Options("img-b", database), siloA);
        var admin = ClusterJoin.AdminCredential(siloA);
        var alice = await Accounts.CreateAsync(siloA.Gateway, admin, "alice", admin: false, _data.Path);
        var bob = await Accounts.CreateAsync(siloA.Gateway, admin, "bob", admin: false, _data.Path);
        Task<FormProcess.Result> As(string credential, SiloProcess silo, params string[] args) =>
            Accounts.FormAsync(credential, [.. args, "--gateway", silo.Gateway]);
        var aliceApp = Path.GetDirectoryName(_data.Write("alice/Formfile", "NAME web\nFROM tiny\nMEM 64\nDISK 1\nRUN echo alice > /who\n"))!;
        var bobApp = Path.GetDirectoryName(_data.Write("bob/Formfile", "NAME web\nFROM tiny\nMEM 64\nDISK 1\nRUN echo bob > /who\n"))!;

        var deployed = await As(alice, siloA, "deploy", aliceApp);
        Assert.True(deployed.ExitCode == 0, deployed.ToString());
        await using var adminClient = await ClusterClient.ViaGatewayAsync(siloA.Options.GatewayPort, admin);
        var alicesImage = await adminClient.Client.GetGrain<IImageGrain>("alice/web").GetStatusAsync();
        var alicesService = await adminClient.Client.GetGrain<IServiceGrain>("alice/web").GetAsync();
        Assert.Equal((ImageBuildState.Ready, "alice"), (alicesImage.State, alicesImage.Account));
        Assert.Equal(RolloutState.Steady, alicesService.Rollout);
        var replica = Assert.Single(alicesService.ReplicaList);

        // Bob, through the other silo: each command on alice's image or replica answers as for one that does not exist.
        (string[] Attack, string[] Missing, string Real, string Fake)[] attacks =
        [
            (["image", "show", "web"], ["image", "show", "nothing"], "web", "nothing"),
            (["image", "show", "alice/web"], ["image", "show", "alice/nothing"], "web", "nothing"),
            (["image", "show", alicesImage.Digest!], ["image", "show", "sha256:" + new string('0', 64)], alicesImage.Digest![7..], new string('0', 64)),
            (["image", "delete", "web"], ["image", "delete", "nothing"], "web", "nothing"),
            (["image", "delete", "alice/web"], ["image", "delete", "alice/nothing"], "web", "nothing"),
            (["image", "delete", alicesImage.Digest!], ["image", "delete", "sha256:" + new string('0', 64)], alicesImage.Digest![7..], new string('0', 64)),
            (["vm", "create", "--name", "steal", "--vcpus", "1", "--memory", "64", "--disk", "1", "--image", "web"],
                ["vm", "create", "--name", "steal", "--vcpus", "1", "--memory", "64", "--disk", "1", "--image", "nothing"], "web", "nothing"),
            (["vm", "console", replica.Name], ["vm", "console", "no-such-vm"], replica.Name, "no-such-vm"),
            (["vm", "console", "alice/" + replica.Name], ["vm", "console", "alice/no-such-vm"], replica.Name, "no-such-vm"),
            (["vm", "exec", replica.Name, "--", "true"], ["vm", "exec", "no-such-vm", "--", "true"], replica.Name, "no-such-vm"),
        ];
        foreach (var (attack, missing, real, fake) in attacks)
        {
            var absent = await As(bob, siloB, missing);
            var hidden = await As(bob, siloB, attack);
            Assert.True(absent.ExitCode != 0, absent.ToString());
            Assert.True(hidden.ExitCode == absent.ExitCode, $"bob's {string.Join(' ', attack)}: {hidden}");
            Assert.Equal(absent.Error.Replace(fake, real), hidden.Error);
        }

        var bobsImages = await As(bob, siloB, "image", "list");
        Assert.True(bobsImages.ExitCode == 0, bobsImages.ToString());
        Assert.Contains("No images.", bobsImages.Out);

        // Bob deploys the same NAME: his own image and service; alice's image, service and replica are as they were.
        var bobsDeploy = await As(bob, siloB, "deploy", bobApp);
        Assert.True(bobsDeploy.ExitCode == 0, bobsDeploy.ToString());
        var bobsImage = await adminClient.Client.GetGrain<IImageGrain>("bob/web").GetStatusAsync();
        var bobsService = await adminClient.Client.GetGrain<IServiceGrain>("bob/web").GetAsync();
        Assert.Equal((ImageBuildState.Ready, "bob"), (bobsImage.State, bobsImage.Account));
        Assert.NotEqual(alicesImage.Digest, bobsImage.Digest);
        Assert.Equal(bobsImage.Digest, bobsService.Current!.Template.ImageDigest);
        Assert.DoesNotContain(replica.VmId, bobsService.ReplicaList.Select(r => r.VmId));
        var imageAfter = await adminClient.Client.GetGrain<IImageGrain>("alice/web").GetStatusAsync();
        var serviceAfter = await adminClient.Client.GetGrain<IServiceGrain>("alice/web").GetAsync();
        Assert.Equal((alicesImage.Digest, alicesImage.UpdatedAt), (imageAfter.Digest, imageAfter.UpdatedAt));
        Assert.Equal((alicesService.Revision, alicesService.Current!.Template.ImageDigest, RolloutState.Steady), (serviceAfter.Revision, serviceAfter.Current!.Template.ImageDigest, serviceAfter.Rollout));
        Assert.Equal([replica.VmId], serviceAfter.ReplicaList.Select(r => r.VmId));

        // Each member lists its own image; the admin sees both, with an ACCOUNT column.
        var alicesList = await As(alice, siloB, "image", "list");
        Assert.Contains("web:latest", alicesList.Out);
        Assert.DoesNotContain("ACCOUNT", alicesList.Out);
        var adminList = await Accounts.FormAsync(admin, ["image", "list", "--gateway", siloA.Gateway]);
        Assert.True(adminList.ExitCode == 0, adminList.ToString());
        Assert.Contains("ACCOUNT", adminList.Out);
        Assert.Contains("alice", adminList.Out);
        Assert.Contains("bob", adminList.Out);
    }

    public void Dispose() => _data.Dispose();

    private SiloProcessOptions Options(string nodeId, string database) =>
        new(nodeId, Path.Combine(_data.Path, nodeId)) { Mode = "cluster", Postgres = database };
}
