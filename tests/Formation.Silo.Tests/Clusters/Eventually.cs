namespace Formation.Silo.Tests.Clusters;

/// <summary>Polls until a condition holds; fails with the last observed value after the timeout.</summary>
public static class Eventually
{
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

            await Task.Delay(50);
        }
    }
}
