using System.Formats.Tar;
using System.Security.Cryptography;
using Formation.Images;

namespace Formation.Silo.Tests.Images;

/// <summary>Drives build sessions the way the CLI does: open, upload the context tar in chunks, start, follow to the end.</summary>
internal static class BuildSessions
{
    public static async Task<BuildOutcome> BuildAsync(
        IClusterClient client, string nodeId, string formfile, string? reference = null, string? contextDirectory = null,
        int chunkBytes = IImageBuildGrain.MaxChunkBytes)
    {
        var session = await OpenAsync(client, nodeId, formfile, reference);
        var tar = await TarAsync(contextDirectory);
        await UploadAsync(session, tar, chunkBytes);
        await session.StartAsync(tar.Length, Convert.ToHexStringLower(SHA256.HashData(tar)));
        return await FollowAsync(session, TimeSpan.FromMinutes(2));
    }

    public static async Task<IImageBuildGrain> OpenAsync(IClusterClient client, string nodeId, string formfile, string? reference = null)
    {
        var session = client.GetGrain<IImageBuildGrain>(ImageKeys.NewBuildSession(nodeId));
        await session.OpenAsync(new ImageBuildRequest(formfile, "Formfile", reference));
        return session;
    }

    public static async Task UploadAsync(IImageBuildGrain session, byte[] tar, int chunkBytes)
    {
        for (var offset = 0; offset < tar.Length; offset += chunkBytes)
        {
            var received = await session.UploadAsync(offset, tar.AsSpan(offset, Math.Min(chunkBytes, tar.Length - offset)).ToArray());
            Assert.Equal(Math.Min(offset + chunkBytes, tar.Length), received);
        }
    }

    /// <summary>Polls the session until it is over, collecting every event.</summary>
    public static async Task<BuildOutcome> FollowAsync(IImageBuildGrain session, TimeSpan timeout)
    {
        var events = new List<BuildProgress>();
        var deadline = DateTime.UtcNow + timeout;
        var update = await session.WatchAsync(0, TimeSpan.Zero);
        while (true)
        {
            Assert.Equal(events.Count, update.FirstIndex);
            events.AddRange(update.Events);
            if (update.IsFinished)
            {
                return new BuildOutcome(update, events);
            }

            Assert.True(DateTime.UtcNow < deadline, $"the build did not finish within {timeout}; events:\n{string.Join("\n", events)}");
            update = await session.WatchAsync(update.NextIndex, TimeSpan.FromSeconds(5));
        }
    }

    /// <summary>The directory as a tar archive (an empty archive for null).</summary>
    public static async Task<byte[]> TarAsync(string? directory)
    {
        using var buffer = new MemoryStream();
        if (directory is null)
        {
            await using var writer = new TarWriter(buffer, leaveOpen: true);
        }
        else
        {
            await TarFile.CreateFromDirectoryAsync(directory, buffer, includeBaseDirectory: false);
        }

        return buffer.ToArray();
    }
}

/// <summary>How a build session ended, and every progress event it reported.</summary>
internal sealed record BuildOutcome(ImageBuildUpdate Final, IReadOnlyList<BuildProgress> Events)
{
    public string Dump() => $"{Final.Phase}: {Final.Failure}\n" + string.Join("\n", Events);
}
