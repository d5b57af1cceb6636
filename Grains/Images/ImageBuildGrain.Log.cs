namespace Formation.Grains.Images;

public sealed partial class ImageBuildGrain
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Build {Session}: opened for image {Reference}")]
    private partial void LogOpened(string session, string reference);

    [LoggerMessage(Level = LogLevel.Information, Message = "Build {Session}: building {Reference} from a {Bytes}-byte context")]
    private partial void LogStarted(string session, string reference, long bytes);

    [LoggerMessage(Level = LogLevel.Information, Message = "Build {Session}: {Reference} built as {Digest}")]
    private partial void LogSucceeded(string session, string reference, string digest);

    [LoggerMessage(Level = LogLevel.Information, Message = "Build {Session}: {Reference} not built: {Error}")]
    private partial void LogFailed(string session, string reference, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Build {Session}: upload abandoned (nothing received for {Seconds} s)")]
    private partial void LogAbandoned(string session, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Build {Session}: interrupted while building ({Reason})")]
    private partial void LogInterrupted(string session, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Build {Session}: could not record the outcome in image {Reference}")]
    private partial void LogRecordFailed(Exception ex, string session, string reference);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Build {Session}: publishing progress failed")]
    private partial void LogPublishFailed(Exception ex, string session);
}
