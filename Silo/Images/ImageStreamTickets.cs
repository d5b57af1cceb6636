using System.Security.Cryptography;
using System.Text;

namespace Formation.Silo.Images;

/// <summary>
/// One-time tickets for the image stream: 256 random bits, good for one connection that reads one image, for
/// <see cref="Lifetime"/>. Only the SHA-256 of a ticket is kept (a lookup by it does not leak the ticket's bytes
/// through timing); at most <see cref="MaxOpen"/> are open at once, the oldest dropped first.
/// </summary>
public sealed class ImageStreamTickets(TimeProvider time)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(60);
    public const int MaxOpen = 1024;

    private readonly Dictionary<string, (string Digest, DateTimeOffset Expires)> _open = new(StringComparer.Ordinal);
    private readonly Queue<string> _order = new();
    private readonly Lock _lock = new();

    /// <summary>A new ticket to read image <paramref name="digest"/>.</summary>
    public string Issue(string digest)
    {
        var ticket = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        lock (_lock)
        {
            // The queue's head: used, expired, or the oldest open ticket when too many are open.
            var now = time.GetUtcNow();
            while (_order.TryPeek(out var head) &&
                (!_open.TryGetValue(head, out var open) || open.Expires < now || _open.Count >= MaxOpen))
            {
                _order.Dequeue();
                _open.Remove(head);
            }

            var key = KeyOf(ticket);
            _open[key] = (digest, now + Lifetime);
            _order.Enqueue(key);
        }

        return ticket;
    }

    /// <summary>Uses <paramref name="ticket"/> up: null when it was good for <paramref name="digest"/>, else why not.</summary>
    public string? Redeem(string ticket, string digest)
    {
        (string Digest, DateTimeOffset Expires) entry;
        lock (_lock)
        {
            if (!_open.Remove(KeyOf(ticket), out entry))
            {
                return "the ticket is unknown or was used already";
            }
        }

        if (entry.Expires < time.GetUtcNow())
        {
            return "the ticket has expired";
        }

        return entry.Digest == digest ? null : "the ticket is for another image";
    }

    private static string KeyOf(string ticket) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(ticket)));
}
