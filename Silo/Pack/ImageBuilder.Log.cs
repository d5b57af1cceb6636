namespace Formation.Silo.Pack;

public sealed partial class ImageBuilder
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Building image {ImageName} from {Base} ({StepCount} steps)")]
    private partial void LogBuildStarted(string imageName, string @base, int stepCount);

    [LoggerMessage(Level = LogLevel.Information, Message = "Built image {ImageName} as {Digest}: {StepsExecuted} steps run in {Seconds:0.0} s")]
    private partial void LogBuildCompleted(string imageName, string digest, int stepsExecuted, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Image build failed at step {Step} '{Description}' (exit code {ExitCode}): {Reason}")]
    private partial void LogBuildFailed(string description, int step, int? exitCode, string reason);
}
