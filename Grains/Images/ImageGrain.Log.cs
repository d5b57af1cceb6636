namespace Formation.Grains.Images;

public sealed partial class ImageGrain
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Image {Reference}: build {Session} begun")]
    private partial void LogBuildBegun(string reference, string session);

    [LoggerMessage(Level = LogLevel.Information, Message = "Image {Reference}: built {Digest} on node {NodeId}")]
    private partial void LogBuilt(string reference, string digest, string nodeId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Image {Reference}: build {Session} failed: {Error}")]
    private partial void LogBuildFailed(string reference, string session, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Image {Reference}: build {Session} cancelled; nothing registered")]
    private partial void LogBuildCancelled(string reference, string session);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Image {Reference}: could not ask build {Session} how it is going")]
    private partial void LogBuildCheckFailed(Exception ex, string reference, string session);

    [LoggerMessage(Level = LogLevel.Information, Message = "Image {Reference} ({Digest}) deleted from {NodeCount} node(s)")]
    private partial void LogDeleted(string reference, string digest, int nodeCount);

    [LoggerMessage(Level = LogLevel.Information, Message = "Image {Reference}: node {NodeId} fetched {Digest} and holds it now")]
    private partial void LogHolderAdded(string reference, string digest, string nodeId);
}
