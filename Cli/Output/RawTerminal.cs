using System.Runtime.InteropServices;

namespace Formation.Cli.Output;

/// <summary>
/// Puts the terminal on stdin in raw mode (no echo, no line buffering, no signal keys) while a console is attached.
/// termios is set directly: .NET restores the terminal around every child process, so `stty` would not last.
/// </summary>
internal sealed class RawTerminal : IDisposable
{
    private const int StdIn = 0;
    private const int TcsaNow = 0;
    private byte[]? _saved;

    private RawTerminal(byte[]? saved) => _saved = saved;

    public static RawTerminal Enter()
    {
        var saved = new byte[256]; // struct termios is 60 bytes on Linux x86-64; room to spare
        if (Console.IsInputRedirected || tcgetattr(StdIn, saved) != 0)
        {
            return new RawTerminal(null);
        }

        var raw = (byte[])saved.Clone();
        cfmakeraw(raw);
        _ = tcsetattr(StdIn, TcsaNow, raw);
        return new RawTerminal(saved);
    }

    public void Dispose()
    {
        if (_saved is not null)
        {
            _ = tcsetattr(StdIn, TcsaNow, _saved);
            _saved = null;
        }
    }

#pragma warning disable SYSLIB1054 // byte[] arguments marshal as pinned pointers; DllImport needs no source generator here
    [DllImport("libc", SetLastError = true)]
    private static extern int tcgetattr(int fd, byte[] termios);

    [DllImport("libc", SetLastError = true)]
    private static extern int tcsetattr(int fd, int optionalActions, byte[] termios);

    [DllImport("libc")]
    private static extern void cfmakeraw(byte[] termios);
#pragma warning restore SYSLIB1054
}
