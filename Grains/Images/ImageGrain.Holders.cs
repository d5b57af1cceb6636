using Formation.Images;

namespace Formation.Grains.Images;

/// <summary>Which nodes hold which version: builds add their node, fetches add the node that fetched.</summary>
public sealed partial class ImageGrain
{
    public Task<IReadOnlyList<string>> HoldersAsync(string digest)
    {
        RequireRecord();
        IReadOnlyList<string> nodes = S.Manifest?.Digest == digest && S.Status is { } status
            ? status.Nodes
            : [.. S.Retired.Where(r => r.Digest == digest).Select(r => r.NodeId).Distinct().Order(StringComparer.Ordinal)];
        return Task.FromResult(nodes);
    }

    public async Task<bool> AddHolderAsync(string digest, string nodeId)
    {
        RequireRecord();
        if (S.Status is not { } status)
        {
            return false;
        }

        if (S.Manifest?.Digest == digest)
        {
            if (status.Nodes.Contains(nodeId))
            {
                return true;
            }

            S.Status = status with { Nodes = [.. status.Nodes.Append(nodeId).Order(StringComparer.Ordinal)], UpdatedAt = clock.GetUtcNow() };
        }
        else if (!S.Retired.Contains(new RetiredImage(nodeId, digest)))
        {
            S.Retired.Add(new RetiredImage(nodeId, digest)); // an older version a VM still boots from: deleting the image removes it too
        }

        await SaveAsync();
        LogHolderAdded(Written, digest, nodeId);
        return true;
    }
}
