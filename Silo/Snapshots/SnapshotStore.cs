using System.Text.Json;
using Formation.Errors;
using Formation.Grains.Hosting;
using Formation.Images;
using Formation.Silo.Pack;
using Formation.Silo.Platform;
using Formation.Snapshots;

namespace Formation.Silo.Snapshots;

/// <summary>
/// The node's snapshots, under <c>&lt;data&gt;/snapshots/&lt;id&gt;/</c>: <c>machine/</c> (what the driver saved),
/// <c>disk.img</c> (a sparse, reflinked where the filesystem can, copy of the VM's disk) and <c>manifest.json</c>. The id
/// is a digest over the machine state and the disk (the project's 4 MiB chunked digest, which skips holes), so a snapshot
/// names its content the way an image does. Writes go to a hidden draft renamed at the end: a snapshot is listed whole
/// or not at all, and drafts a crash left behind are removed when the store opens.
/// </summary>
public sealed class SnapshotStore : ISnapshotHost
{
    public const string MachineFolder = "machine";
    public const string DiskFile = "disk.img";
    public const string ManifestFile = "manifest.json";
    private const string DraftPrefix = ".partial-";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };
    private readonly Lock _gate = new();

    public SnapshotStore(string dataDirectory)
    {
        Root = Path.Combine(dataDirectory, "snapshots");
        Directory.CreateDirectory(Root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        foreach (var stale in Directory.EnumerateDirectories(Root, DraftPrefix + "*"))
        {
            Directory.Delete(stale, recursive: true);
        }
    }

    public string Root { get; }

    /// <summary>A new, empty draft (its machine-state folder exists and is empty).</summary>
    public SnapshotDraft Begin()
    {
        var draft = new SnapshotDraft(Path.Combine(Root, DraftPrefix + Guid.NewGuid().ToString("N")));
        Directory.CreateDirectory(draft.Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Directory.CreateDirectory(draft.MachineDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return draft;
    }

    /// <summary>Removes a draft (nothing of it is listed).</summary>
    public static void Discard(SnapshotDraft draft)
    {
        if (Directory.Exists(draft.Path))
        {
            Directory.Delete(draft.Path, recursive: true);
        }
    }

    /// <summary>
    /// Digests the draft, writes its manifest (<paramref name="template"/> with id and sizes filled in) and renames it to
    /// its id. A snapshot of the same content that is already stored is kept and returned (the draft is dropped).
    /// </summary>
    public Task<SnapshotInfo> CommitAsync(SnapshotDraft draft, SnapshotInfo template, CancellationToken cancellationToken) =>
        CommitAsync(draft, template, expectedId: null, cancellationToken);

    /// <param name="expectedId">For a copy of another node's snapshot: the id its content must digest to, else it is dropped.</param>
    private async Task<SnapshotInfo> CommitAsync(SnapshotDraft draft, SnapshotInfo template, string? expectedId, CancellationToken cancellationToken)
    {
        var parts = new List<string> { "formation-snapshot", template.Driver };
        long stateBytes = 0;
        foreach (var file in Directory.EnumerateFiles(draft.MachineDirectory, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            parts.Add(Path.GetRelativePath(draft.MachineDirectory, file));
            parts.Add(await ChunkedDigest.ComputeAsync(file, cancellationToken));
            stateBytes += new FileInfo(file).Length;
        }

        var hasDisk = File.Exists(draft.Disk);
        parts.Add(hasDisk ? await ChunkedDigest.ComputeAsync(draft.Disk, cancellationToken) : "no-disk");
        var info = template with
        {
            Id = PackDigest.Key([.. parts]),
            StateBytes = stateBytes,
            DiskBytes = hasDisk ? await HostDisks.AllocatedBytesAsync(draft.Disk, cancellationToken) : 0,
        };
        if (expectedId is not null && info.Id != expectedId)
        {
            Discard(draft);
            throw new InvalidDataException($"the copy of snapshot {expectedId[..Math.Min(SnapshotInfo.ShortIdLength, expectedId.Length)]} " +
                $"that arrived digests to {info.ShortId}: it is not the snapshot asked for, and was not kept");
        }

        await File.WriteAllTextAsync(Path.Combine(draft.Path, ManifestFile), JsonSerializer.Serialize(info, Json), cancellationToken);

        lock (_gate)
        {
            // Names are per account: another account's snapshot of the same name is neither a conflict nor mentioned.
            if (List(null).FirstOrDefault(s => s.Name == info.Name && s.Account == info.Account) is { } taken)
            {
                Discard(draft);
                throw FormationException.Conflict(
                    $"a snapshot named '{info.Name}' already exists on node {info.NodeId} ({taken.ShortId}); choose another --name or delete it first.");
            }

            var target = Path.Combine(Root, info.Id);
            if (Directory.Exists(target) && Read(target) is { } same)
            {
                Discard(draft);
                return same;
            }

            Directory.Move(draft.Path, target);
        }

        return info;
    }

    public IReadOnlyList<SnapshotInfo> List(string? vmId)
    {
        var found = new List<SnapshotInfo>();
        foreach (var dir in Directory.EnumerateDirectories(Root))
        {
            if (!Path.GetFileName(dir).StartsWith('.') && Read(dir) is { } info && (vmId is null || info.VmId == vmId))
            {
                found.Add(info);
            }
        }

        return [.. found.OrderByDescending(s => s.CreatedAt)];
    }

    /// <summary>
    /// The snapshot named (name, id, or id prefix), or null; two matches are an InvalidArgument error. With
    /// <paramref name="account"/>, only that account's snapshots are looked at (names are unique per account).
    /// </summary>
    public SnapshotInfo? Find(string nameOrId, string? account = null)
    {
        var matches = List(null).Where(s => s.Matches(nameOrId) && (account is null || s.Account == account)).ToArray();
        return matches.Length switch
        {
            0 => null,
            1 => matches[0],
            _ => throw FormationException.Invalid(
                $"'{nameOrId}' names {matches.Length} snapshots ({string.Join(", ", matches.Select(m => m.ShortId))}); use more of the id."),
        };
    }

    /// <summary>The folder of a stored snapshot's machine state.</summary>
    public string MachineDirectory(SnapshotInfo snapshot) => Path.Combine(Root, snapshot.Id, MachineFolder);

    /// <summary>The stored snapshot's disk copy, or null when the VM had no disk.</summary>
    public string? Disk(SnapshotInfo snapshot) => Path.Combine(Root, snapshot.Id, DiskFile) is var disk && File.Exists(disk) ? disk : null;

    public Task<SnapshotInfo> DeleteAsync(string nameOrId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var snapshot = Find(nameOrId) ?? throw SnapshotKeys.Missing(nameOrId);

            // Renamed out of sight first, so a listing never shows half a snapshot while its files go.
            var doomed = Path.Combine(Root, DraftPrefix + "deleted-" + snapshot.Id);
            Directory.Move(Path.Combine(Root, snapshot.Id), doomed);
            Directory.Delete(doomed, recursive: true);
            return Task.FromResult(snapshot);
        }
    }

    public SnapshotContents? Describe(string snapshotId)
    {
        if (!IsId(snapshotId) || Read(Path.Combine(Root, snapshotId)) is not { } info || info.Id != snapshotId)
        {
            return null;
        }

        var files = new List<SnapshotFile>();
        foreach (var file in Directory.EnumerateFiles(MachineDirectory(info)).Order(StringComparer.Ordinal))
        {
            files.Add(new SnapshotFile(SnapshotContents.MachinePrefix + Path.GetFileName(file), new FileInfo(file).Length));
        }

        if (Disk(info) is { } disk)
        {
            files.Add(new SnapshotFile(SnapshotContents.DiskPath, new FileInfo(disk).Length));
        }

        return new SnapshotContents(info, files);
    }

    public async Task<ImageChunk> ReadChunkAsync(string snapshotId, string path, long offset, CancellationToken cancellationToken)
    {
        if (!IsId(snapshotId) || !SnapshotContents.IsSnapshotPath(path))
        {
            throw new ArgumentException($"'{path}' of '{snapshotId}' is not a file of a snapshot");
        }

        var file = Path.Combine(Root, snapshotId, path);
        if (!File.Exists(file))
        {
            throw FormationException.NotFound($"this node holds no file '{path}' of snapshot {snapshotId}");
        }

        using var handle = File.OpenHandle(file);
        return await FileChunks.ReadAsync(handle, offset, $"{path} of snapshot {snapshotId}", cancellationToken);
    }

    /// <summary>How many ranges an import asks for at once.</summary>
    private const int ImportWindow = 4;

    public async Task<SnapshotInfo> ImportAsync(SnapshotContents source, Func<string, long, Task<ImageChunk>> read, CancellationToken cancellationToken)
    {
        source.Validate();
        var id = source.Info.Id;
        if (!IsId(id))
        {
            throw new InvalidDataException($"'{id}' is not a snapshot id");
        }

        if (Read(Path.Combine(Root, id)) is { } held && held.Id == id)
        {
            return held;
        }

        var draft = Begin();
        try
        {
            foreach (var file in source.Files)
            {
                var target = file.Path == SnapshotContents.DiskPath ? draft.Disk : Path.Combine(draft.MachineDirectory, file.Path[SnapshotContents.MachinePrefix.Length..]);
                using var handle = File.OpenHandle(target, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, FileOptions.None, preallocationSize: 0);
                RandomAccess.SetLength(handle, file.Length);
                var what = $"{file.Path} of snapshot {source.Info.ShortId}";
                var pending = new Queue<(long Offset, Task<ImageChunk> Chunk)>();
                long next = 0;
                void Ask()
                {
                    pending.Enqueue((next, read(file.Path, next)));
                    next += ImageChunk.MaxBytes;
                }

                Ask(); // at least one range: an empty file is asked for too, and must come back empty
                while (pending.Count > 0)
                {
                    while (pending.Count < ImportWindow && next < file.Length)
                    {
                        Ask();
                    }

                    var (offset, chunk) = pending.Dequeue();
                    var got = await chunk.WaitAsync(cancellationToken);
                    FileChunks.Check(got, offset, file.Length, what);
                    await FileChunks.WriteAsync(handle, got, cancellationToken);
                }

                RandomAccess.FlushToDisk(handle);
            }

            // Digesting a large disk takes seconds: on the thread pool, never on a grain's scheduler.
            return await Task.Run(() => CommitAsync(draft, source.Info, id, cancellationToken), CancellationToken.None);
        }
        catch
        {
            Discard(draft);
            throw;
        }
    }

    private static bool IsId(string id) => id.Length is > 8 and <= 100 && id.All(c => char.IsAsciiLetterOrDigit(c) || c == ':');

    private static SnapshotInfo? Read(string dir)
    {
        var manifest = Path.Combine(dir, ManifestFile);
        try
        {
            return File.Exists(manifest) ? JsonSerializer.Deserialize<SnapshotInfo>(File.ReadAllText(manifest), Json) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
