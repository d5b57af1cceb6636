namespace Formation.Bench.Vmm;

/// <summary>Process memory from /proc/PID/smaps: total RSS and RSS outside the guest-RAM mapping.</summary>
internal static class Memory
{
    /// <returns>(total RSS KiB, RSS minus the guest RAM mapping's resident KiB), or null if unreadable.</returns>
    public static (long Rss, long Overhead)? Sample(int pid, int guestMiB)
    {
        try
        {
            var lines = File.ReadAllLines($"/proc/{pid}/smaps");
            long total = 0, guest = 0;
            long size = 0;
            foreach (var line in lines)
            {
                if (line.StartsWith("Size:", StringComparison.Ordinal))
                {
                    size = Kib(line);
                }
                else if (line.StartsWith("Rss:", StringComparison.Ordinal))
                {
                    var rss = Kib(line);
                    total += rss;
                    if (size == guestMiB * 1024L)
                    {
                        guest += rss;
                    }
                }
            }

            return (total, total - guest);
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static long Kib(string line) => long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
}
