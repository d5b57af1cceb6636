using System.Collections.Concurrent;

namespace Formation.Silo.Dns;

/// <summary>
/// Encoded answers of the zone keyed by the exact question bytes (everything after the message id) and the asker
/// (<see cref="DnsAsker"/>: whether it is a guest, and whose names it sees), so a repeated question is answered without
/// parsing or encoding, and never with an answer computed for another account's guest. Only authoritative, complete
/// answers are kept; every change of the table empties it (<see cref="Invalidate"/>), and an answer computed from an
/// older table than the current one is never stored. Bounded: when full, new answers are not kept.
/// </summary>
public sealed class AnswerCache(int capacity)
{
    private volatile Generation _current = new(0);

    /// <summary>The table version answers are being stored for.</summary>
    public long Version => _current.Version;

    public int Count => _current.Answers.Count;

    /// <summary>Drops every answer; from now on only answers computed from <paramref name="version"/> are kept.</summary>
    public void Invalidate(long version) => _current = new Generation(version);

    /// <summary>The answer for <paramref name="key"/> (see <see cref="Key"/>), if one is kept.</summary>
    public bool TryGet(ReadOnlySpan<byte> key, out byte[] answer)
    {
        var lookup = _current.Answers.GetAlternateLookup<ReadOnlySpan<byte>>();
        return lookup.TryGetValue(key, out answer!);
    }

    /// <summary>Keeps an answer computed from table <paramref name="version"/>, if that is still the current one.</summary>
    public void TryAdd(byte[] key, byte[] answer, long version)
    {
        var generation = _current;
        if (generation.Version != version || generation.Answers.Count >= capacity || !IsCacheable(answer))
        {
            return;
        }

        generation.Answers.TryAdd(key, answer);
    }

    /// <summary>The longest key: a query of 65,535 bytes and the longest account name.</summary>
    public const int MaxKeyLength = ushort.MaxValue + 2 + Names.MaxLength;

    /// <summary>
    /// The key of a query: a byte for the kind of asker (outside, a guest that sees every account, a member's guest, a
    /// stranger: answers differ in the RA flag and in what names exist), the member's account name with its length, then
    /// the query without its 2-byte id.
    /// </summary>
    public static byte[] Key(ReadOnlySpan<byte> query, DnsAsker asker)
    {
        var key = new byte[KeyLength(query.Length, asker)];
        WriteKey(query, asker, key);
        return key;
    }

    /// <summary>How long the key of a query of <paramref name="queryLength"/> bytes is for <paramref name="asker"/>.</summary>
    public static int KeyLength(int queryLength, DnsAsker asker) => (asker.Account?.Length ?? 0) + queryLength; // the kind and length bytes take the id's place

    /// <summary>Writes the key (see <see cref="Key"/>) into <paramref name="destination"/>; returns its length.</summary>
    public static int WriteKey(ReadOnlySpan<byte> query, DnsAsker asker, Span<byte> destination)
    {
        var account = asker.Account ?? "";
        destination[0] = (byte)((asker.Guest ? 1 : 0) | (asker.Account is null ? 0 : 2));
        destination[1] = (byte)account.Length;
        var written = 2 + System.Text.Encoding.ASCII.GetBytes(account, destination[2..]);
        query[2..].CopyTo(destination[written..]);
        return written + query.Length - 2;
    }

    /// <summary>A response with AA set, not truncated, NOERROR or NXDOMAIN: an answer from the zone itself.</summary>
    public static bool IsCacheable(ReadOnlySpan<byte> response) =>
        response.Length >= 12 && (response[2] & 0x84) == 0x84 && (response[2] & 0x02) == 0 && (response[3] & 0x0f) is 0 or 3;

    private sealed class Generation(long version)
    {
        public long Version { get; } = version;

        public ConcurrentDictionary<byte[], byte[]> Answers { get; } = new(ByteKeyComparer.Instance);
    }

    private sealed class ByteKeyComparer : IEqualityComparer<byte[]>, IAlternateEqualityComparer<ReadOnlySpan<byte>, byte[]>
    {
        public static readonly ByteKeyComparer Instance = new();

        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] obj) => Hash(obj);

        public bool Equals(ReadOnlySpan<byte> alternate, byte[] other) => alternate.SequenceEqual(other);

        public int GetHashCode(ReadOnlySpan<byte> alternate) => Hash(alternate);

        public byte[] Create(ReadOnlySpan<byte> alternate) => alternate.ToArray();

        private static int Hash(ReadOnlySpan<byte> bytes)
        {
            var hash = new HashCode();
            hash.AddBytes(bytes);
            return hash.ToHashCode();
        }
    }
}
