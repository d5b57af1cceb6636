namespace Formation.Silo.Tests.Deploy;

/// <summary>Plain HTTP from the host to a VM address.</summary>
public static class Http
{
    public static Task<string> GetAsync(string address, int port) => GetAsync(address, port, TimeSpan.FromSeconds(30));

    public static async Task<string> GetAsync(string address, int port, TimeSpan patience)
    {
        var deadline = DateTime.UtcNow + patience;
        while (true)
        {
            var body = await TryGetAsync(address, port, TimeSpan.FromSeconds(10));
            if (body is not null)
            {
                return body;
            }

            Assert.True(DateTime.UtcNow < deadline, $"http://{address}:{port}/ did not answer within {patience.TotalSeconds:0} s");
            await Task.Delay(200);
        }
    }

    /// <summary>The body, or null when nothing answered in time.</summary>
    public static async Task<string?> TryGetAsync(string address, int port, TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = timeout };
        try
        {
            return await http.GetStringAsync($"http://{address}:{port}/");
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return null;
        }
    }
}
