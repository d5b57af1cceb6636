using Formation.Grains.Common;
using Formation.Images;

namespace Formation.Grains.Images;

/// <summary>An image's build status. The image builder (form-pack) writes it; until then every image is Unknown.</summary>
public sealed class ImageGrain(
    [PersistentState("image", StorageNames.Formation)] IPersistentState<ImageGrainState> store,
    TimeProvider clock) : Grain, IImageGrain
{
    public Task<ImageStatus> GetStatusAsync() =>
        Task.FromResult(store.State.Status ??
            new ImageStatus(this.GetPrimaryKeyString(), ImageBuildState.Unknown, null, 0, [], null, clock.GetUtcNow()));
}
