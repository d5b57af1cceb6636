namespace Formation.Silo.Identity;

/// <summary>What happened when a node presented a join token.</summary>
public enum JoinTokenOutcome
{
    Accepted,
    Unknown,
    Used,
    Expired,
}

/// <summary>The outcome of using a join token, with what a refusal needs to explain itself.</summary>
public sealed record JoinTokenUse(JoinTokenOutcome Outcome, DateTimeOffset? When = null, string? By = null)
{
    /// <summary>Why the token was refused, in words for the joining node's operator.</summary>
    public string Refusal => Outcome switch
    {
        JoinTokenOutcome.Unknown => "the join token is not known to this cluster (mistyped, or made for another cluster). Make one with `form node token create`.",
        JoinTokenOutcome.Used => $"the join token was already used{(By is null ? "" : $" by node '{By}'")} at {When:u}; a token admits one node. Make a new one with `form node token create`.",
        JoinTokenOutcome.Expired => $"the join token expired at {When:u}. Make a new one with `form node token create --ttl …`.",
        _ => "",
    };
}
