using System.Security.Cryptography;
using System.Text;

namespace Formation.Silo.Pack;

/// <summary>
/// SHA-512-crypt (<c>$6$</c>) password hashing for <c>/etc/shadow</c>, written from Ulrich Drepper's public
/// specification "Unix crypt using SHA-256 and SHA-512". Checked against the specification's test vectors and
/// busybox <c>cryptpw</c>.
/// </summary>
internal static class Sha512Crypt
{
    private const string Alphabet = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    private const int DefaultRounds = 5000;

    private static readonly int[] Permutation =
        [0, 21, 42, 22, 43, 1, 44, 2, 23, 3, 24, 45, 25, 46, 4, 47, 5, 26, 6, 27, 48, 28, 49, 7, 50, 8, 29, 9, 30, 51,
         31, 52, 10, 53, 11, 32, 12, 33, 54, 34, 55, 13, 56, 14, 35, 15, 36, 57, 37, 58, 16, 59, 17, 38, 18, 39, 60,
         40, 61, 19, 62, 20, 41];

    /// <summary>A random 16-character salt.</summary>
    public static string NewSalt() => new(RandomNumberGenerator.GetItems(Alphabet.AsSpan(), 16));

    /// <summary>Hashes <paramref name="password"/> with <paramref name="salt"/> (at most 16 characters are used).</summary>
    public static string Hash(string password, string salt, int? rounds = null)
    {
        var p = Encoding.UTF8.GetBytes(password);
        var s = Encoding.UTF8.GetBytes(salt.Length > 16 ? salt[..16] : salt);
        var r = Math.Clamp(rounds ?? DefaultRounds, 1000, 999_999_999);

        var b = Sha512(p, s, p);

        using var a = IncrementalHash.CreateHash(HashAlgorithmName.SHA512);
        a.AppendData(p);
        a.AppendData(s);
        AppendRepeated(a, b, p.Length);
        for (var length = p.Length; length > 0; length >>= 1)
        {
            a.AppendData((length & 1) != 0 ? b : p);
        }

        var c = a.GetHashAndReset();

        using var dpContext = IncrementalHash.CreateHash(HashAlgorithmName.SHA512);
        for (var i = 0; i < p.Length; i++)
        {
            dpContext.AppendData(p);
        }

        var pBytes = Repeat(dpContext.GetHashAndReset(), p.Length);

        using var dsContext = IncrementalHash.CreateHash(HashAlgorithmName.SHA512);
        for (var i = 0; i < 16 + c[0]; i++)
        {
            dsContext.AppendData(s);
        }

        var sBytes = Repeat(dsContext.GetHashAndReset(), s.Length);

        using var round = IncrementalHash.CreateHash(HashAlgorithmName.SHA512);
        for (var i = 0; i < r; i++)
        {
            round.AppendData((i & 1) != 0 ? pBytes : c);
            if (i % 3 != 0)
            {
                round.AppendData(sBytes);
            }

            if (i % 7 != 0)
            {
                round.AppendData(pBytes);
            }

            round.AppendData((i & 1) != 0 ? c : pBytes);
            c = round.GetHashAndReset();
        }

        var text = new StringBuilder("$6$");
        if (rounds is not null)
        {
            text.Append("rounds=").Append(r).Append('$');
        }

        text.Append(Encoding.UTF8.GetString(s)).Append('$');
        for (var i = 0; i < 63; i += 3)
        {
            Encode(text, c[Permutation[i]], c[Permutation[i + 1]], c[Permutation[i + 2]], 4);
        }

        Encode(text, 0, 0, c[63], 2);
        return text.ToString();
    }

    private static byte[] Sha512(params byte[][] parts)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA512);
        foreach (var part in parts)
        {
            hash.AppendData(part);
        }

        return hash.GetHashAndReset();
    }

    private static void AppendRepeated(IncrementalHash hash, byte[] block, int length)
    {
        for (; length > 64; length -= 64)
        {
            hash.AppendData(block);
        }

        hash.AppendData(block, 0, length);
    }

    private static byte[] Repeat(byte[] block, int length)
    {
        var result = new byte[length];
        for (var i = 0; i < length; i++)
        {
            result[i] = block[i % 64];
        }

        return result;
    }

    private static void Encode(StringBuilder text, byte b2, byte b1, byte b0, int count)
    {
        var w = (b2 << 16) | (b1 << 8) | b0;
        for (var i = 0; i < count; i++)
        {
            text.Append(Alphabet[w & 0x3f]);
            w >>= 6;
        }
    }
}
