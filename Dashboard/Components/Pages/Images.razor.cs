using Formation.Dashboard.Components.Shared;
using Formation.Events;
using Formation.Images;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace Formation.Dashboard.Components.Pages;

/// <summary>The images of the cluster (<c>form image list</c>); a build anywhere in the cluster refreshes it.</summary>
public sealed partial class Images : LivePage
{
    private IReadOnlyList<ImageStatus> _images = [];

    [Inject]
    private IDialogService Dialogs { get; set; } = null!;

    [Inject]
    private ISnackbar Snackbar { get; set; } = null!;

    protected override async Task LoadAsync() => _images = await Formation.ListImagesAsync();

    protected override Task SubscribeAsync() => Subscribe<ImageBuildEvent>(EventStreams.ForAllBuilds(), e =>
    {
        if (e.Progress.Kind is BuildProgressKind.Started or BuildProgressKind.Completed or BuildProgressKind.Failed)
        {
            ReloadSoon(TimeSpan.FromMilliseconds(500));
        }
    });

    private async Task DeleteAsync(string reference)
    {
        if (await ImageDetail.ConfirmDeleteAsync(Dialogs, reference) && await TryAsync(async () =>
            {
                var deleted = await Formation.DeleteImageAsync(reference);
                Snackbar.Add($"Deleted image {deleted.Reference}.", Severity.Success);
            }, message => Snackbar.Add($"Could not delete {reference}: {message}", Severity.Error)))
        {
            await LoadAsync();
        }
    }
}
