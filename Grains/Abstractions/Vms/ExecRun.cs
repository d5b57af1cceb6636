namespace Formation.Vms;

/// <summary>
/// One exec run to its end without a terminal (the HTTP API, the dashboard): start it, feed it <c>stdin</c> and close
/// that, read until its result, keep at most <c>maxOutputBytes</c> of each stream (the rest is read and dropped, so
/// the command never blocks on a full pipe), and end it after <c>timeout</c> with exit code <see cref="TimedOut"/>,
/// as <c>form vm exec --timeout</c> does.
/// </summary>
public static class ExecRun
{
    public const int TimedOut = 124;

    public static async Task<ExecCompleted> RunAsync(IVmExecGrain exec, ExecRequest request, byte[]? stdin, TimeSpan timeout, int maxOutputBytes,
        CancellationToken cancellationToken)
    {
        var session = await exec.StartAsync(request with { Stdin = stdin is not null, Tty = false });
        var stdout = new BoundedBuffer(maxOutputBytes);
        var stderr = new BoundedBuffer(maxOutputBytes);
        try
        {
            if (stdin is not null)
            {
                for (var offset = 0; offset < stdin.Length; offset += 32 * 1024)
                {
                    await exec.WriteAsync(session, stdin[offset..Math.Min(stdin.Length, offset + 32 * 1024)]);
                }

                await exec.WriteAsync(session, []);
            }

            var deadline = DateTime.UtcNow + timeout;
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var wait = deadline - DateTime.UtcNow;
                var output = await exec.ReadAsync(session, wait <= TimeSpan.Zero ? TimeSpan.Zero : wait < TimeSpan.FromSeconds(1) ? wait : TimeSpan.FromSeconds(1));
                stdout.Add(output.Stdout);
                stderr.Add(output.Stderr);
                if (output.Result is { } result)
                {
                    return new ExecCompleted(stdout.ToArray(), stderr.ToArray(), result, stdout.Dropped + stderr.Dropped > 0);
                }

                if (DateTime.UtcNow >= deadline)
                {
                    await exec.EndAsync(session);
                    return new ExecCompleted(stdout.ToArray(), stderr.ToArray(),
                        new ExecResult(TimedOut, Error: $"the command did not finish within {timeout.TotalSeconds:0.###} s; ended it."),
                        stdout.Dropped + stderr.Dropped > 0);
                }
            }
        }
        catch (OperationCanceledException)
        {
            await exec.EndAsync(session);
            throw;
        }
    }

    private sealed class BoundedBuffer(int limit)
    {
        private readonly MemoryStream _bytes = new();

        public long Dropped { get; private set; }

        public void Add(byte[] chunk)
        {
            var room = (int)Math.Max(0, limit - _bytes.Length);
            _bytes.Write(chunk, 0, Math.Min(room, chunk.Length));
            Dropped += Math.Max(0, chunk.Length - room);
        }

        public byte[] ToArray() => _bytes.ToArray();
    }
}

/// <summary>What <see cref="ExecRun"/> collected: each stream up to its limit, the result, and whether output was cut.</summary>
public sealed record ExecCompleted(byte[] Stdout, byte[] Stderr, ExecResult Result, bool Truncated);
