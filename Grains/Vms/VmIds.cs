using System.Security.Cryptography;

namespace Formation.Grains.Vms;

/// <summary>New VM ids: <c>vm-</c> and 10 random base-32 characters (50 bits).</summary>
public static class VmIds
{
    private const string Alphabet = "abcdefghijkmnpqrstuvwxyz23456789";

    public static string New()
    {
        Span<char> id = stackalloc char[13];
        "vm-".CopyTo(id);
        Span<byte> random = stackalloc byte[10];
        RandomNumberGenerator.Fill(random);
        for (var i = 0; i < random.Length; i++)
        {
            id[3 + i] = Alphabet[random[i] & 31];
        }

        return new string(id);
    }

    public static bool LooksLikeId(string value) => value.StartsWith("vm-", StringComparison.Ordinal) && value.Length == 13;
}
