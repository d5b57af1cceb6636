using System.Diagnostics;

namespace Formation.Cli.Tests.Deploy;

/// <summary>What the deploy tests share: reading a guest's page until it answers, and leaving no guest or bridge behind.</summary>
internal static class QemuTestSilo
{
    /// <summary>GETs <paramref name="url"/>, retrying for up to a minute while the guest's server comes up.</summary>
    public static async Task<string> GetAsync(string url)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                return await http.GetStringAsync(url);
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && DateTime.UtcNow < deadline)
            {
                await Task.Delay(500);
            }
        }
    }

    /// <summary>Stops the silo, kills any guest it left (by the VM directories' pid files) and removes the node's bridge.</summary>
    public static async Task DisposeAsync(SiloProcess? silo, string scratch, string nodeId)
    {
        if (silo is null)
        {
            return;
        }

        await silo.DisposeAsync();
        foreach (var pidFile in Directory.EnumerateFiles(scratch, "vm.pid", SearchOption.AllDirectories))
        {
            if (int.TryParse(File.ReadAllText(pidFile).Trim(), out var pid))
            {
                try
                {
                    Process.GetProcessById(pid).Kill();
                }
                catch (ArgumentException)
                {
                }
            }
        }

        NodeNetworkCleanup.Remove(nodeId);
    }
}
