using System.CommandLine;
using Formation.Cli.Output;
using Formation.Display;
using Formation.Scheduling;

namespace Formation.Cli.Commands;

/// <summary>
/// <c>form quota set|show</c>: how much an account's VMs may hold together (vCPUs, memory, disk, VM count). Limits are
/// enforced by the scheduler as it places each VM; unset limits are unlimited.
/// </summary>
public static class QuotaCommands
{
    public static Command Create(FormApp app)
    {
        var quota = new Command("quota", "Per-account limits on vCPUs, memory, disk and VM count, and what each account uses");
        quota.Subcommands.Add(SetCommand(app));
        quota.Subcommands.Add(ShowCommand(app));
        return quota;
    }

    private static Command SetCommand(FormApp app)
    {
        var account = new Argument<string>("account") { Description = "The account whose limits change" };
        var vcpus = new Option<int?>("--vcpus") { Description = "Most vCPUs its VMs may have together (0: unlimited)", HelpName = "n" };
        var memory = new Option<long?>("--memory") { Description = "Most memory its VMs may have together, in MiB (0: unlimited)", HelpName = "mib" };
        var disk = new Option<long?>("--disk") { Description = "Most disk its VMs may have together, in GiB (0: unlimited)", HelpName = "gib" };
        var vms = new Option<int?>("--vms") { Description = "Most VMs it may have (0: unlimited)", HelpName = "n" };
        var json = FormApp.JsonOption();
        var command = new Command("set", "Set an account's limits (admins only); limits not given stay as they are") { account, vcpus, memory, disk, vms, json };
        command.SetAction((parse, ct) => app.WithClusterAsync(parse, ct, async client =>
        {
            var change = new AccountQuota(parse.GetValue(vcpus), parse.GetValue(memory), parse.GetValue(disk), parse.GetValue(vms));
            if (change == AccountQuota.Unlimited)
            {
                app.Terminal.Error.WriteLine("form: give at least one limit: --vcpus, --memory, --disk or --vms (0 removes one).");
                return ExitCodes.Failed;
            }

            var status = await client.GetGrain<ISchedulerGrain>(GrainKeys.Cluster).SetQuotaAsync(parse.GetValue(account)!, change);
            Write(app, [status], parse.GetValue(json));
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command ShowCommand(FormApp app)
    {
        var account = new Argument<string?>("account") { Description = "Only this account (members see their own)", Arity = ArgumentArity.ZeroOrOne };
        var json = FormApp.JsonOption();
        var command = new Command("show", "Show accounts' usage and limits") { account, json };
        command.SetAction((parse, ct) => app.WithClusterAsync(parse, ct, async client =>
        {
            var list = await client.GetGrain<ISchedulerGrain>(GrainKeys.Cluster).ListQuotasAsync(parse.GetValue(account));
            Write(app, list, parse.GetValue(json));
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static void Write(FormApp app, IReadOnlyList<QuotaStatus> list, bool json)
    {
        if (json)
        {
            Json.Write(app.Terminal.Out, list);
            return;
        }

        if (list.Count == 0)
        {
            app.Terminal.Out.WriteLine("No account has a VM or a quota yet.");
            return;
        }

        var table = new TextTable("ACCOUNT", "VMS", "VCPUS", "MEMORY", "DISK");
        foreach (var q in list)
        {
            table.Add(q.Account,
                Of(q.VmsUsed.ToString(), q.Limits.Vms?.ToString()),
                Of(q.Used.VCpus.ToString(), q.Limits.VCpus?.ToString()),
                Of(Units.MiB(q.Used.MemoryMiB), q.Limits.MemoryMiB is { } m ? Units.MiB(m) : null),
                Of(Units.GiB(q.Used.DiskGiB), q.Limits.DiskGiB is { } d ? Units.GiB(d) : null));
        }

        app.Terminal.Write(table);
    }

    /// <summary>"3 of 8", or "3 (unlimited)".</summary>
    private static string Of(string used, string? limit) => limit is null ? $"{used} (unlimited)" : $"{used} of {limit}";
}
