using System.Collections;
using System.Runtime.InteropServices;
using System.Text;

namespace Formation.Cli.Fast;

/// <summary>
/// Replaces this process with the full <c>form</c> CLI (execve: same process id, same stdin/stdout/stderr, same exit
/// code for the caller), so <c>form</c> stays one command whichever part answers. The full CLI is $FORM_FULL (an
/// executable, or a form.dll run by dotnet), else the <c>form</c> published beside this one (artifacts/form).
/// </summary>
public static unsafe class HandOver
{
    public const string FullVariable = "FORM_FULL";

    /// <summary>Set for the full CLI when a request this process sent may have taken effect (FrontDoor reads it).</summary>
    public const string InDoubtVariable = "FORM_FRONT_IN_DOUBT";

    /// <summary>Execs the full CLI with <paramref name="args"/>; returns only when that fails, with the exit code to use.</summary>
    public static int Exec(IReadOnlyList<string> args, bool inDoubt)
    {
        var full = Environment.GetEnvironmentVariable(FullVariable) is { Length: > 0 } configured
            ? configured
            : Path.Combine(AppContext.BaseDirectory, "form");
        var argv = full.EndsWith(".dll", StringComparison.Ordinal) ? new List<string> { "dotnet", full } : [full];
        argv.AddRange(args);
        var environment = new List<string>();
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            if ((string)entry.Key != InDoubtVariable)
            {
                environment.Add($"{entry.Key}={entry.Value}");
            }
        }

        if (inDoubt)
        {
            environment.Add($"{InDoubtVariable}=1");
        }

        Console.Out.Flush();
        Console.Error.Flush();
        var error = Execute(argv[0], argv, environment);
        Console.Error.WriteLine(
            $"form: cannot start the full CLI '{full}' ({error}). Run scripts/form (it builds and finds it), or set {FullVariable} to its path " +
            "(artifacts/form/form or Cli/bin/Release/net10.0/form.dll).");
        return ExitCodes.Failed;
    }

    /// <summary>execvpe(3) with NUL-terminated UTF-8 copies of the strings; returns the error text if it returns at all.</summary>
    private static string Execute(string file, List<string> argv, List<string> environment)
    {
        var pinned = new List<IntPtr>();
        try
        {
            var argvPointers = ToPointers(argv, pinned);
            var envPointers = ToPointers(environment, pinned);
            var filePointer = Marshal.StringToCoTaskMemUTF8(file);
            pinned.Add(filePointer);
            fixed (IntPtr* argvBase = argvPointers)
            fixed (IntPtr* envBase = envPointers)
            {
                execvpe((byte*)filePointer, (byte**)argvBase, (byte**)envBase);
            }

            return Marshal.GetLastPInvokeErrorMessage();
        }
        finally
        {
            foreach (var pointer in pinned)
            {
                Marshal.FreeCoTaskMem(pointer);
            }
        }
    }

    private static IntPtr[] ToPointers(List<string> strings, List<IntPtr> pinned)
    {
        var pointers = new IntPtr[strings.Count + 1];
        for (var i = 0; i < strings.Count; i++)
        {
            pointers[i] = Marshal.StringToCoTaskMemUTF8(strings[i]);
            pinned.Add(pointers[i]);
        }

        return pointers;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int execvpe(byte* file, byte** argv, byte** envp);
}
