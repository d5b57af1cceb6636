using Formation.Silo.Pack;

namespace Formation.Silo.Tests.Deploy;

/// <summary>
/// Builds the tiny web image used by the deploy tests once, into a data directory that silo processes then use, so
/// the image is on their node exactly as `form pack build` would leave it.
/// </summary>
public sealed class DeployFixture : IAsyncLifetime
{
    public const string WebImage = "web:1";
    public const string PowerOffImage = "off:1";
    public const int WebPort = 8080;

    /// <summary>The tiny web image: busybox httpd serving /www (the build context's www folder) on port 8080.</summary>
    public const string WebFormfile = """
        NAME web
        FROM tiny
        COPY ./www /www
        EXPOSE 8080/tcp
        ENTRYPOINT ["/bin/busybox", "httpd", "-f", "-v", "-p", "8080", "-h", "/www"]
        """;

    public string Root { get; } = Path.Combine(Path.GetTempPath(), "formation-deploy-tests", Guid.NewGuid().ToString("N"));

    /// <summary>A fresh data directory holding the web image.</summary>
    public async Task<string> NewNodeDirectoryAsync(string name)
    {
        var dir = Path.Combine(Root, name + "-" + Guid.NewGuid().ToString("N")[..6]);
        await BuildWebImageAsync(dir);
        return dir;
    }

    /// <summary>Fails the test, saying why, unless this machine can build images and run qemu VMs with TAP networking.</summary>
    public static void RequireEnvironment()
    {
        TestEnvironment.RequireBuilder();
        TestEnvironment.RequireQemu();
        TestEnvironment.RequireFormationKernel();
        Prerequisites.RequireTun();
    }

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    private const string PowerOffFormfile = """
        NAME off
        FROM tiny
        ENTRYPOINT ["/bin/busybox", "poweroff", "-f"]
        """;

    private static async Task BuildWebImageAsync(string dataDirectory)
    {
        var context = Path.Combine(dataDirectory, "context");
        Directory.CreateDirectory(Path.Combine(context, "www"));
        await File.WriteAllTextAsync(Path.Combine(context, "www", "index.html"), "hello from a formation vm\n");
        await BuildImageAsync(dataDirectory, WebFormfile, WebImage, context);
        await BuildImageAsync(dataDirectory, PowerOffFormfile, PowerOffImage);
    }

    /// <summary>Builds <paramref name="formfile"/> as <paramref name="tag"/> into the node data directory <paramref name="dataDirectory"/>.</summary>
    public static async Task BuildImageAsync(string dataDirectory, string formfile, string tag, string? context = null)
    {
        var options = new PackOptions { DataDirectory = dataDirectory };
        await new ImageBuilder(options, new ImageStore(options)).BuildAsync(
            new BuildRequest(formfile, ContextDirectory: context, Tag: tag), null, CancellationToken.None);
    }

    /// <summary>Kills VM processes a failed test left behind, then removes the data (kept with FORMATION_KEEP_TEST_DATA=1).</summary>
    public ValueTask DisposeAsync()
    {
        if (Directory.Exists(Root))
        {
            foreach (var pidFile in Directory.EnumerateFiles(Root, "vm.pid", SearchOption.AllDirectories))
            {
                // qemu names itself formation-<vm id>; formation-vmm's command line names its config in the VM's directory
                var vmDirectory = Path.GetDirectoryName(pidFile)!;
                if (Formation.Silo.Platform.ProcessInfo.TryReadPid(pidFile, out var pid) &&
                    (Formation.Silo.Platform.ProcessInfo.CommandLineContains(pid, "formation-" + Path.GetFileName(vmDirectory)) ||
                     Formation.Silo.Platform.ProcessInfo.CommandLineContains(pid, vmDirectory + "/")))
                {
                    Formation.Silo.Platform.ProcessInfo.Kill(pid);
                }
            }
        }

        foreach (var nodeId in _nodes.Distinct())
        {
            NodeNetworkCleanup.Remove(nodeId);
        }

        if (Environment.GetEnvironmentVariable("FORMATION_KEEP_TEST_DATA") != "1")
        {
            try
            {
                Directory.Delete(Root, recursive: true);
            }
            catch (IOException)
            {
            }
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// Places and creates a VM. (Until images built outside the cluster are registered with it, this goes around the
    /// catalog's image check: the image is on the node's disk, which is what the node's runtime verifies.)
    /// </summary>
    public static async Task<Formation.Vms.VmInfo> CreateAsync(IClusterClient client, Formation.Vms.VmSpec spec)
    {
        var vmId = "vm-" + Guid.NewGuid().ToString("N")[..10];
        var node = await client.GetGrain<Formation.Scheduling.ISchedulerGrain>(GrainKeys.Cluster)
            .PlaceAsync(new Formation.Scheduling.PlacementRequest(vmId, spec.Resources, spec.NodeConstraint));
        return await client.GetGrain<Formation.Vms.IVmGrain>(GrainKeys.Vm(node, vmId)).CreateAsync(spec);
    }

    private readonly System.Collections.Concurrent.ConcurrentBag<string> _nodes = [];

    /// <summary>Options of a qemu silo; its bridge and the bridge's guard table are removed when the fixture is disposed.</summary>
    public SiloProcessOptions Silo(string nodeId, string dataDirectory, params (string Key, string Value)[] settings)
    {
        _nodes.Add(nodeId);
        return new(nodeId, dataDirectory)
        {
            Driver = "qemu",
            Environment = settings.ToDictionary(s => s.Key, s => s.Value),
        };
    }
}
