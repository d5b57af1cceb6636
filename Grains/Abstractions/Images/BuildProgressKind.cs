namespace Formation.Images;

/// <summary>The kind of a <see cref="BuildProgress"/> event.</summary>
[GenerateSerializer, Alias("Formation.Images.BuildProgressKind")]
public enum BuildProgressKind
{
    /// <summary>The build started; <see cref="BuildProgress.StepCount"/> is known.</summary>
    Started = 0,

    /// <summary>A step began work (it was not in the cache).</summary>
    StepStarted = 1,

    /// <summary>A step's result came from the layer cache; no work done.</summary>
    StepCached = 2,

    /// <summary>A line of a running step's output.</summary>
    Output = 3,

    /// <summary>A step finished.</summary>
    StepCompleted = 4,

    /// <summary>Something the user should know that does not stop the build.</summary>
    Warning = 5,

    /// <summary>The build finished and the image is registered.</summary>
    Completed = 6,

    /// <summary>The build failed; see <see cref="BuildProgress.Message"/>.</summary>
    Failed = 7,
}
