using System.Text.Json.Nodes;

namespace Formation.Cli.Tests;

/// <summary>
/// Two reads of the cluster a moment apart differ in what moves on its own: a node's heartbeat time and measured load,
/// a VM's latest usage sample. Tests that compare two commands' JSON compare everything else.
/// </summary>
internal static class MovingFields
{
    private static readonly string[] Moving = ["lastHeartbeat", "load", "usage"];

    /// <summary>The JSON without those fields (at the top, or in each element of a top-level array); other text unchanged.</summary>
    public static string Without(string output)
    {
        var trimmed = output.TrimStart();
        if (!trimmed.StartsWith('[') && !trimmed.StartsWith('{'))
        {
            return output;
        }

        var node = JsonNode.Parse(output)!;
        foreach (var item in node is JsonArray array ? array.ToArray() : [node])
        {
            if (item is JsonObject o)
            {
                foreach (var field in Moving)
                {
                    o.Remove(field);
                }
            }
        }

        return node.ToJsonString();
    }
}
