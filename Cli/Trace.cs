using System.Diagnostics;

namespace Formation.Cli;

/// <summary>With FORM_TRACE=1, prints milliseconds since process start at each phase to stderr.</summary>
internal static class Trace
{
    private static readonly bool Enabled = Environment.GetEnvironmentVariable("FORM_TRACE") == "1";

    public static void Mark(string phase)
    {
        if (Enabled)
        {
            var sinceStart = DateTime.Now - Process.GetCurrentProcess().StartTime;
            Console.Error.WriteLine($"[trace] {sinceStart.TotalMilliseconds,7:0} ms  {phase}  (jit: {System.Runtime.JitInfo.GetCompiledMethodCount()} methods, {System.Runtime.JitInfo.GetCompilationTime().TotalMilliseconds:0} ms)");
        }
    }
}
