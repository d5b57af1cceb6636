using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Formation.Discovery;
using Formation.Errors;
using Formation.Nodes;
using Formation.Vms;

namespace Formation.LocalApi;

/// <summary>
/// The silo's local API: a Unix socket (<see cref="LocalApiPaths.Socket"/>, mode 0600) that answers the read queries of
/// <see cref="IFormationReads"/> and the retry-safe mutations of <see cref="IFormationWrites"/> on the silo's own host.
/// <c>form</c> uses it for <c>vm list</c>, <c>vm show</c>, <c>node list</c>, <c>vm create</c> and <c>vm delete</c> because
/// starting an Orleans client costs about half a second of JIT and type loading per process.
/// The wire (records, JSON, framing) is in this file alone, without Orleans types, so the NativeAOT front end
/// (Cli.Fast) compiles the same source; the silo's side of answering is in LocalApiProtocol.Answer.cs.
/// One request per connection: the client writes one line of JSON (<see cref="LocalApiRequest"/>, at most
/// <see cref="MaxRequestBytes"/>), the silo writes one JSON <see cref="LocalApiReply"/> and closes.
/// </summary>
public static partial class LocalApiProtocol
{
    public const int MaxRequestBytes = 4096;

    public const string Vms = "vms";
    public const string Nodes = "nodes";
    public const string Vm = "vm";
    public const string Info = "vm-info";
    public const string Peers = "peers";
    public const string Create = "create";
    public const string Delete = "delete";

    public static async Task WriteRequestAsync(Stream stream, LocalApiRequest request, CancellationToken cancellationToken)
    {
        await stream.WriteAsync(RequestLine(request), cancellationToken);
        await stream.FlushAsync(cancellationToken);
    }

    /// <summary><see cref="WriteRequestAsync"/> on the calling thread (the NativeAOT front end: no thread pool to start).</summary>
    public static void WriteRequest(Stream stream, LocalApiRequest request)
    {
        stream.Write(RequestLine(request));
        stream.Flush();
    }

    private static byte[] RequestLine(LocalApiRequest request)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(request, LocalApiJson.Default.LocalApiRequest);
        var line = new byte[json.Length + 1];
        json.CopyTo(line, 0);
        line[^1] = (byte)'\n';
        return line;
    }

    /// <summary>Reads one request line. Malformed, oversized or truncated requests are <see cref="ErrorKind.InvalidArgument"/>.</summary>
    public static async Task<LocalApiRequest> ReadRequestAsync(Stream stream, CancellationToken cancellationToken)
    {
        var buffer = new byte[MaxRequestBytes];
        var length = 0;
        while (true)
        {
            var end = Array.IndexOf(buffer, (byte)'\n', 0, length);
            if (end >= 0)
            {
                return Parse(buffer.AsSpan(0, end));
            }

            if (length == buffer.Length)
            {
                throw FormationException.Invalid($"local API request longer than {MaxRequestBytes} bytes.");
            }

            var read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken);
            if (read == 0)
            {
                throw FormationException.Invalid("local API request ended before its newline.");
            }

            length += read;
        }
    }

    public static async Task WriteReplyAsync(Stream stream, LocalApiReply reply, CancellationToken cancellationToken)
    {
        await JsonSerializer.SerializeAsync(stream, reply, LocalApiJson.Default.LocalApiReply, cancellationToken);
        await stream.FlushAsync(cancellationToken);
    }

    /// <summary>Reads the reply; an error reply becomes the <see cref="FormationException"/> the silo raised.</summary>
    public static async Task<LocalApiReply> ReadReplyAsync(Stream stream, CancellationToken cancellationToken) =>
        Checked(await JsonSerializer.DeserializeAsync(stream, LocalApiJson.Default.LocalApiReply, cancellationToken));

    /// <summary><see cref="ReadReplyAsync"/> on the calling thread.</summary>
    public static LocalApiReply ReadReply(Stream stream) => Checked(JsonSerializer.Deserialize(stream, LocalApiJson.Default.LocalApiReply));

    private static LocalApiReply Checked(LocalApiReply? reply)
    {
        if (reply is null)
        {
            throw new InvalidDataException("the silo's local API sent an empty reply.");
        }

        if (reply.Error is { Transient: true } transient)
        {
            throw new LocalApiTransientException(transient.Message);
        }

        if (reply.Error is { } error)
        {
            throw new FormationException(error.Kind, error.Message);
        }

        return reply;
    }

    public static LocalApiReply Failure(FormationException ex) => new(Error: new LocalApiError(ex.Kind, ex.Message));

    /// <summary>A transport failure inside the cluster (the grain's silo went away): the client may retry elsewhere.</summary>
    public static LocalApiReply TransientFailure(string message) => new(Error: new LocalApiError(ErrorKind.HostFailure, message, Transient: true));

    private static LocalApiRequest Parse(ReadOnlySpan<byte> line)
    {
        try
        {
            return JsonSerializer.Deserialize(line, LocalApiJson.Default.LocalApiRequest) is { Query: not null } request
                ? request
                : throw FormationException.Invalid("local API request has no query.");
        }
        catch (JsonException ex)
        {
            throw FormationException.Invalid($"local API request is not JSON: {ex.Message} ({Encoding.UTF8.GetString(line[..Math.Min(line.Length, 80)])})");
        }
    }
}

/// <summary>
/// One query: <see cref="LocalApiProtocol.Vms"/>, <see cref="LocalApiProtocol.Nodes"/>, <see cref="LocalApiProtocol.Vm"/>,
/// <see cref="LocalApiProtocol.Info"/> or <see cref="LocalApiProtocol.Delete"/> (with <see cref="Vm"/>), <see cref="LocalApiProtocol.Create"/> (with <see cref="Spec"/>).
/// <see cref="Until"/> with <see cref="LocalApiProtocol.Info"/>: answer once the VM is in that state or Failed, or after
/// at most <see cref="VmWaits.MaxPatience"/> (a silo from before this field answers at once; the client then polls).
/// </summary>
public sealed record LocalApiRequest(string Query, string? Vm = null, VmSpec? Spec = null, VmState? Until = null);

/// <summary>What went wrong, as the silo's <see cref="FormationException"/> said it; <see cref="Transient"/> when retrying may help.</summary>
public sealed record LocalApiError(ErrorKind Kind, string Message, bool Transient = false);

/// <summary>The answer to one query: the field the query asked for, or <see cref="Error"/>.</summary>
public sealed record LocalApiReply(
    IReadOnlyList<VmSummary>? Vms = null,
    IReadOnlyList<NodeStatus>? Nodes = null,
    VmDetail? Vm = null,
    LocalApiError? Error = null,
    IReadOnlyList<PeerRow>? Peers = null,
    VmInfo? Info = null);

/// <summary>Source-generated JSON for the local API: no reflection at start-up on either side.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, UseStringEnumConverter = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(LocalApiRequest))]
[JsonSerializable(typeof(LocalApiReply))]
public sealed partial class LocalApiJson : JsonSerializerContext;
