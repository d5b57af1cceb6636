namespace Formation.Testing;

/// <summary>
/// Waits for a condition itself, with a deadline, instead of sleeping and hoping: polls until it holds and fails
/// with the last observed value when the deadline passes.
/// </summary>
public static class Eventually
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(50);

    public static async Task<T> HoldsAsync<T>(Func<Task<T>> probe, Func<T, bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        T last;
        while (true)
        {
            last = await probe();
            if (condition(last))
            {
                return last;
            }

            if (DateTime.UtcNow > deadline)
            {
                var shown = last is System.Collections.IEnumerable items and not string
                    ? "[" + string.Join(", ", items.Cast<object>()) + "]"
                    : last?.ToString();
                Assert.Fail($"Timed out after {timeout.TotalSeconds:0.#} s waiting for {what}; last value: {shown}");
            }

            await Task.Delay(Poll);
        }
    }

    /// <summary>Polls <paramref name="condition"/> until it is true; fails naming <paramref name="what"/> after the timeout.</summary>
    public static async Task TrueAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Timed out after {timeout.TotalSeconds:0.#} s waiting for {what}");
            }

            await Task.Delay(Poll);
        }
    }
}
