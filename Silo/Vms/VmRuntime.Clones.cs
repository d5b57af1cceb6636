using Formation.Agent;
using Formation.Silo.Hypervisors;
using Formation.Vms;

namespace Formation.Silo.Vms;

public sealed partial class VmRuntime
{
    /// <summary>How long a restored clone's agent may take to answer at all (it was mid-session with nobody when saved).</summary>
    private static readonly TimeSpan CloneAgentBudget = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Tells a restored clone's guest its own MAC, address and hostname through its agent, then puts its TAP on the bridge.
    /// Returns what the guest took, or null when it could not be told: the clone then ends, Failed with the reason (its
    /// TAP never reached the bridge, so the source's address was never answered for).
    /// </summary>
    private async Task<string?> GiveCloneItsIdentityAsync(ManagedVm managed)
    {
        var launch = managed.Launch;
        var process = managed.Process!;
        string failure;
        try
        {
            var (result, _, stderr) = await RunInGuestAsync(process, GuestIdentity.Request(launch.Name, launch.Network), _stopping.Token);
            if (result.ExitCode == 0)
            {
                if (launch.Network is { } net)
                {
                    await network.SetBridgedAsync(net.Tap, bridged: true, _stopping.Token);
                }

                LogCloneIdentity(launch.VmId, launch.Network?.Address ?? "no network");
                return GuestIdentity.Describe(launch.Name, launch.Network);
            }

            failure = $"the guest could not take its new identity (exit {result.ExitCode}): {(result.Error ?? stderr).Trim()}";
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !_stopping.IsCancellationRequested)
        {
            LogOperationFailed(ex, "give its identity to the clone", launch.VmId);
            failure = $"the clone's guest agent could not be reached to give it its new MAC, address and hostname: {ex.Message}";
        }

        await managed.Gate.WaitAsync();
        try
        {
            if (!ReferenceEquals(managed.Process, process) || managed.Phase != VmPhase.Booting)
            {
                return null; // stopped or deleted meanwhile (which is why the agent went away): that outcome is reported already
            }

            managed.Phase = VmPhase.Failed;
            managed.Problem = failure;
            managed.RestoringFrom = null;
            SaveLaunch(managed, running: false);
            await forwards.CloseAsync(launch.VmId, CancellationToken.None);
            await process.KillAsync(CancellationToken.None);
        }
        finally
        {
            managed.Gate.Release();
        }

        await reporter.ReportAsync(launch.VmId, new HostReport(VmState.Failed, failure + " The clone was stopped; delete it."));
        return null;
    }

    /// <summary>Runs one command in the guest to its end; retries reaching the agent until <see cref="CloneAgentBudget"/> runs out.</summary>
    private async Task<(ExecResult Result, string Stdout, string Stderr)> RunInGuestAsync(IVmProcess process, ExecRequest request,
        CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + CloneAgentBudget;
        while (true)
        {
            AgentClient agent;
            try
            {
                agent = new AgentClient(await process.OpenAgentAsync(cancellationToken));
            }
            catch (Exception ex) when (ex is InvalidOperationException or IOException or System.Net.Sockets.SocketException && Retry())
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken);
                continue;
            }

            await using (agent)
            {
                try
                {
                    await agent.HandshakeAsync(Options.AgentTimeout, cancellationToken);
                }
                catch (Exception ex) when (ex is AgentProtocolException or IOException && Retry())
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken);
                    continue;
                }

                return await agent.RunAsync(request, Options.AgentTimeout, cancellationToken);
            }
        }

        bool Retry() => DateTime.UtcNow < deadline && !process.Exited.IsCompleted;
    }
}
