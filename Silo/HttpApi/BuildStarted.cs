namespace Formation.Silo.HttpApi;

/// <summary>The first event of <c>POST /v1/builds</c>: which session builds which image where.</summary>
public sealed record BuildStarted(string Session, string NodeId, string? Reference, long ContextBytes);
