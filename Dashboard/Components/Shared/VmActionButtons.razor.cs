using Formation.Dashboard.Cluster;
using Formation.Vms;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace Formation.Dashboard.Components.Shared;

/// <summary>Start, stop, pause, resume, reboot and delete, as the VM's state allows; errors from the fabric become a message.</summary>
public sealed partial class VmActionButtons
{
    private bool _busy;

    [Parameter, EditorRequired]
    public VmRef Vm { get; set; } = null!;

    [Parameter, EditorRequired]
    public string Name { get; set; } = "";

    [Parameter, EditorRequired]
    public VmState State { get; set; }

    /// <summary>Called after an action the cluster accepted.</summary>
    [Parameter]
    public EventCallback<(VmAction Action, VmInfo Vm)> Done { get; set; }

    [Inject]
    private FormationService Formation { get; set; } = null!;

    [Inject]
    private IDialogService Dialogs { get; set; } = null!;

    [Inject]
    private ISnackbar Snackbar { get; set; } = null!;

    public static string IconOf(VmAction action) => action switch
    {
        VmAction.Start => Icons.Material.Filled.PlayArrow,
        VmAction.Stop => Icons.Material.Filled.Stop,
        VmAction.Pause => Icons.Material.Filled.Pause,
        VmAction.Resume => Icons.Material.Filled.PlayCircle,
        VmAction.Reboot => Icons.Material.Filled.RestartAlt,
        _ => Icons.Material.Filled.Delete,
    };

    private async Task RunAsync(VmAction action)
    {
        var verb = VmActions.Verb(action);
        if (VmActions.IsDestructive(action))
        {
            var what = action switch
            {
                VmAction.Delete => $"VM {Name} is removed from its node with its disk; its capacity is released. This cannot be undone.",
                VmAction.Reboot => $"VM {Name}'s guest is reset: what runs in it stops at once and boots again.",
                _ => $"VM {Name} is shut down; what runs in it stops. Its disk is kept and it can be started again.",
            };
            var confirmed = await Dialogs.ShowMessageBoxAsync($"{char.ToUpperInvariant(verb[0])}{verb[1..]} {Name}?", what,
                yesText: $"{char.ToUpperInvariant(verb[0])}{verb[1..]}", cancelText: "Cancel");
            if (confirmed != true)
            {
                return;
            }
        }

        _busy = true;
        try
        {
            var info = await Formation.ActAsync(Vm, action);
            Snackbar.Add($"VM {Name}: {verb} requested; it is {info.State}.", Severity.Info);
            await Done.InvokeAsync((action, info));
        }
        catch (Exception ex)
        {
            Snackbar.Add($"Could not {verb} {Name}: {FabricErrors.Describe(ex)}", Severity.Error);
        }
        finally
        {
            _busy = false;
        }
    }
}
