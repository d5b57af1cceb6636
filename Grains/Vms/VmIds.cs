using System.Security.Cryptography;

namespace Formation.Grains.Vms;

/// <summary>VM ids: <c>vm-</c> and 10 base-32 characters (50 bits), random or derived from a create's request id.</summary>
public static class VmIds
{
    private const string Alphabet = "abcdefghijkmnpqrstuvwxyz23456789";

    public static string New()
    {
        Span<byte> random = stackalloc byte[10];
        RandomNumberGenerator.Fill(random);
        return Format(random);
    }

    /// <summary>
    /// The id of the VM that a create with this request id and name makes: the same for every retry, so the scheduler's
    /// reservation (keyed by VM id) and the VM grain's create (idempotent for an equal spec) are reused by a retry even
    /// if the catalog that handled the first attempt died with its silo.
    /// </summary>
    public static string ForRequest(string requestId, string name)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"formation-create\n{requestId}\n{name}"), hash);
        return Format(hash[..10]);
    }

    private static string Format(ReadOnlySpan<byte> bytes)
    {
        Span<char> id = stackalloc char[13];
        "vm-".CopyTo(id);
        for (var i = 0; i < 10; i++)
        {
            id[3 + i] = Alphabet[bytes[i] & 31];
        }

        return new string(id);
    }

    public static bool LooksLikeId(string value) => value.StartsWith("vm-", StringComparison.Ordinal) && value.Length == 13;
}
