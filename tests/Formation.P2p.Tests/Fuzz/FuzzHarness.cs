namespace Formation.P2p.Tests.Fuzz;

/// <summary>
/// Runs a target over mutated inputs. A target may accept an input or refuse it with one of the allowed exception
/// types; any other exception, or a hang past the per-input deadline, fails with the input in hex so it can be replayed.
/// </summary>
public static class FuzzHarness
{
    /// <summary>Inputs per layer.</summary>
    public const int Iterations = 10_000;

    /// <summary>Runs a synchronous target; returns how many inputs were accepted.</summary>
    public static int Run(string layer, IReadOnlyList<byte[]> seeds, Action<byte[]> target, params Type[] allowed) =>
        RunAsync(layer, seeds, input =>
        {
            target(input);
            return Task.CompletedTask;
        }, allowed).GetAwaiter().GetResult();

    /// <summary>Runs an asynchronous target; returns how many inputs were accepted.</summary>
    public static async Task<int> RunAsync(string layer, IReadOnlyList<byte[]> seeds, Func<byte[], Task> target, params Type[] allowed)
    {
        // A stable seed per layer (string.GetHashCode differs per process): a failure found once is found on every run.
        var mutator = new Mutator(StableSeed(layer) ^ 0x5EED);
        var accepted = 0;
        foreach (var seed in seeds)
        {
            await target(seed); // valid inputs must pass
        }

        for (var i = 0; i < Iterations; i++)
        {
            var input = mutator.Next(seeds);
            try
            {
                await target(input).WaitAsync(TimeSpan.FromSeconds(10));
                accepted++;
            }
            catch (Exception e) when (allowed.Any(t => t.IsInstanceOfType(e)))
            {
                // Refused with a protocol error: what a hostile input should get.
            }
            catch (Exception e)
            {
                throw new Xunit.Sdk.XunitException($"{layer}: input #{i} {Convert.ToHexString(input)} threw {e.GetType().Name}: {e.Message}\n{e}");
            }
        }

        return accepted;
    }

    /// <summary>FNV-1a of the layer's name.</summary>
    private static int StableSeed(string layer)
    {
        var hash = 2166136261u;
        foreach (var c in layer)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return (int)hash;
    }
}
