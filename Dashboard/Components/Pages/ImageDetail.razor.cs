using Formation.Dashboard.Components.Shared;
using Formation.Events;
using Formation.Images;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace Formation.Dashboard.Components.Pages;

/// <summary>One image (<c>form image show</c>): status, digest, size, nodes holding it, and its manifest.</summary>
public sealed partial class ImageDetail : LivePage
{
    private ImageStatus? _status;
    private ImageManifest? _manifest;

    [Parameter]
    public string Reference { get; set; } = "";

    [Inject]
    private IDialogService Dialogs { get; set; } = null!;

    [Inject]
    private ISnackbar Snackbar { get; set; } = null!;

    [Inject]
    private NavigationManager Navigation { get; set; } = null!;

    public static string Href(string reference) => "/images/" + Uri.EscapeDataString(reference);

    public static async Task<bool> ConfirmDeleteAsync(IDialogService dialogs, string reference) =>
        await dialogs.ShowMessageBoxAsync($"Delete image {reference}?",
            "Its files are removed from every node that holds them. VMs that use it keep it: the cluster refuses while one does.",
            yesText: "Delete", cancelText: "Cancel") == true;

    protected override async Task LoadAsync() => (_status, _manifest) = await Formation.GetImageAsync(Reference);

    protected override Task SubscribeAsync() => Subscribe<ImageBuildEvent>(EventStreams.ForAllBuilds(), e =>
    {
        if (e.Reference == _status?.Reference && e.Progress.Kind is BuildProgressKind.Completed or BuildProgressKind.Failed)
        {
            ReloadSoon();
        }
    });

    private async Task DeleteAsync()
    {
        if (await ConfirmDeleteAsync(Dialogs, Reference) && await TryAsync(async () =>
            {
                var deleted = await Formation.DeleteImageAsync(Reference);
                Snackbar.Add($"Deleted image {deleted.Reference}.", Severity.Success);
            }, message => Snackbar.Add($"Could not delete {Reference}: {message}", Severity.Error)))
        {
            Navigation.NavigateTo("/images");
        }
    }
}
