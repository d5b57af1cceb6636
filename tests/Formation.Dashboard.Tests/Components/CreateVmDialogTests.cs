using Bunit;
using Formation.Dashboard.Components.Shared;
using Formation.Errors;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace Formation.Dashboard.Tests.Components;

public sealed class CreateVmDialogTests : DashboardTestContext
{
    [Fact]
    public async Task Submit_InvalidFields_ShowsTheCliRulesUnderTheFields_AndCreatesNothing()
    {
        var provider = Render<MudDialogProvider>();
        await provider.InvokeAsync(() => Services.GetRequiredService<IDialogService>().ShowAsync<CreateVmDialog>("Create VM"));

        provider.Find("[data-testid=vm-name]").Input("Web_1");
        provider.Find("[data-testid=vm-vcpus]").Input("0");
        provider.Find("[data-testid=vm-memory]").Input("12");
        provider.Find("[data-testid=create-submit]").Click();

        provider.WaitForAssertion(() =>
        {
            Assert.Contains("vCPUs must be between 1 and 128 (got 0).", provider.Markup);
            Assert.Contains("VM name 'Web_1' is not valid", provider.Markup);
            Assert.Contains("Memory must be between 64 and 1048576 MiB (got 12).", provider.Markup);
        });
        Assert.Empty(Fake.Created);
    }

    [Fact]
    public async Task Submit_ClusterRefuses_ShowsWhyInTheDialog()
    {
        Fake.CreateFailure = new FormationException(ErrorKind.NoCapacity, "No node has room for 1 vCPU, 512 MiB memory, 10 GiB disk.");
        var provider = Render<MudDialogProvider>();
        await provider.InvokeAsync(() => Services.GetRequiredService<IDialogService>().ShowAsync<CreateVmDialog>("Create VM"));

        provider.Find("[data-testid=vm-name]").Input("web-1");
        provider.Find("[data-testid=create-submit]").Click();

        provider.WaitForAssertion(() => Assert.Contains("No node has room", provider.Find("[data-testid=create-error]").TextContent));
    }

    [Fact]
    public async Task Submit_ValidSpec_CreatesItWithTheChosenConsole()
    {
        var provider = Render<MudDialogProvider>();
        var dialog = await provider.InvokeAsync(() => Services.GetRequiredService<IDialogService>().ShowAsync<CreateVmDialog>("Create VM"));

        provider.Find("[data-testid=vm-name]").Input("web-1");
        provider.Find("[data-testid=vm-image]").Input("hello:latest");
        provider.Find("[data-testid=create-submit]").Click();

        var result = await dialog.Result;
        Assert.False(result!.Canceled);
        var spec = Assert.Single(Fake.Created);
        Assert.Equal(("web-1", "hello:latest", 1, 512L), (spec.Name, spec.Image, spec.VCpus, spec.MemoryMiB));
        Assert.Null(spec.Console);
    }
}
