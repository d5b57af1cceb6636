using System.Text.Json;

namespace Formation.Cli.Tests.Commands;

/// <summary><c>form quota set|show</c> and the account view of <c>form vm list</c>, against a real silo process (as its admin).</summary>
public sealed class QuotaCliTests(RunningSiloFixture silo) : IClassFixture<RunningSiloFixture>
{
    [Fact]
    public async Task QuotaSetAndShow_TablesAndJson_AndASetWithoutLimitsIsRefused()
    {
        var set = await silo.FormAsync("quota", "set", "cli-quota", "--vcpus", "2", "--vms", "3");
        Assert.True(set.ExitCode == 0, set.ToString());
        Assert.Contains("cli-quota", set.Out);
        Assert.Contains("0 of 3", set.Out);
        Assert.Contains("(unlimited)", set.Out);

        var show = await silo.FormAsync("quota", "show", "cli-quota", "--json");
        Assert.True(show.ExitCode == 0, show.ToString());
        var row = JsonDocument.Parse(show.Out).RootElement.EnumerateArray().Single();
        Assert.Equal(2, row.GetProperty("limits").GetProperty("vCpus").GetInt32());
        Assert.Equal(0, row.GetProperty("vmsUsed").GetInt32());

        var lifted = await silo.FormAsync("quota", "set", "cli-quota", "--vcpus", "0");
        Assert.True(lifted.ExitCode == 0, lifted.ToString());
        Assert.Contains("0 (unlimited)", lifted.Out);

        var nothing = await silo.FormAsync("quota", "set", "cli-quota");
        Assert.Equal(1, nothing.ExitCode);
        Assert.Contains("give at least one limit", nothing.Error);

        var all = await silo.FormAsync("quota", "show");
        Assert.True(all.ExitCode == 0, all.ToString());
        Assert.Contains("cli-quota", all.Out);
    }

    [Fact]
    public async Task VmList_OneAccount_NoAccountColumn_AccountFilterShowsIt()
    {
        var create = await silo.FormAsync("vm", "create", "--name", "cli-owned", "--vcpus", "1", "--memory", "64", "--disk", "1");
        Assert.True(create.ExitCode == 0, create.ToString());

        var plain = await silo.FormAsync("vm", "list");
        Assert.StartsWith("ID", plain.Out);
        Assert.DoesNotContain("ACCOUNT", plain.Out);

        var mine = await silo.FormAsync("vm", "list", "--account", "admin");
        Assert.Contains("ACCOUNT", mine.Out);
        Assert.Contains("cli-owned", mine.Out);
        var others = await silo.FormAsync("vm", "list", "--account", "nobody-here");
        Assert.DoesNotContain("cli-owned", others.Out);

        var json = await silo.FormAsync("vm", "list", "--json");
        Assert.Contains(JsonDocument.Parse(json.Out).RootElement.EnumerateArray(), v => v.GetProperty("name").GetString() == "cli-owned" && v.GetProperty("account").GetString() == "admin");
    }
}
