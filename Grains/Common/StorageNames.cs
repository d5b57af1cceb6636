namespace Formation.Grains.Common;

/// <summary>Names of the grain storage providers the silo configures.</summary>
public static class StorageNames
{
    /// <summary>Grain state of Formation's own grains.</summary>
    public const string Formation = "formation";

    /// <summary>Required by Orleans for explicit stream subscriptions.</summary>
    public const string PubSub = "PubSubStore";
}
