namespace Formation.P2p.Tests.Fuzz;

/// <summary>Deterministic mutations of valid inputs: bit flips, random bytes, inserts, deletes, truncation, splices, 0xFF runs.</summary>
public sealed class Mutator(int seed)
{
    private readonly Random _random = new(seed);

    /// <summary>A mutated copy of one of <paramref name="seeds"/>.</summary>
    public byte[] Next(IReadOnlyList<byte[]> seeds)
    {
        var data = new List<byte>(seeds[_random.Next(seeds.Count)]);
        var rounds = 1 + _random.Next(4);
        for (var r = 0; r < rounds; r++)
        {
            var at = data.Count == 0 ? 0 : _random.Next(data.Count);
            switch (_random.Next(7))
            {
                case 0 when data.Count > 0:
                    data[at] ^= (byte)(1 << _random.Next(8));
                    break;
                case 1 when data.Count > 0:
                    data[at] = (byte)_random.Next(256);
                    break;
                case 2:
                    data.Insert(at, (byte)_random.Next(256));
                    break;
                case 3 when data.Count > 0:
                    data.RemoveAt(at);
                    break;
                case 4:
                    data.RemoveRange(at, data.Count - at);
                    break;
                case 5 when data.Count > 0:
                    var length = Math.Min(_random.Next(1, 16), data.Count - at);
                    data.InsertRange(_random.Next(data.Count), data.GetRange(at, length));
                    break;
                default:
                    data.InsertRange(at, Enumerable.Repeat((byte)0xFF, _random.Next(1, 12)));
                    break;
            }
        }

        return [.. data];
    }
}
