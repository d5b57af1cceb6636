namespace Formation.Identity;

/// <summary>Account names with a fixed meaning (plain constants, so code without Orleans' runtime can use them too).</summary>
public static class AccountNames
{
    /// <summary>The cluster's first credential and the host's root act as this account; it owns what was made before accounts.</summary>
    public const string Admin = "admin";

    /// <summary>The silo's own background work; no client certificate may carry this name.</summary>
    public const string System = "system";

    /// <summary>
    /// The DNS label the zone names nodes under (<c>&lt;node&gt;.node.fog</c>). Another account's names live under its own
    /// label (<c>&lt;vm&gt;.&lt;account&gt;.fog</c>), so an account called this would mix its names with the nodes': no
    /// account may take it.
    /// </summary>
    public const string Nodes = "node";
}
