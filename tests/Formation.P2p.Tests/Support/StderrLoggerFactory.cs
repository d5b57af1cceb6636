using Microsoft.Extensions.Logging;

namespace Formation.P2p.Tests.Support;

/// <summary>Logs to stderr when FORMATION_P2P_TEST_LOG=1 (debugging a failing test); otherwise nothing.</summary>
public sealed class StderrLoggerFactory : ILoggerFactory, ILoggerProvider
{
    /// <summary>The factory tests pass to nodes.</summary>
    public static ILoggerFactory? Instance { get; } = Environment.GetEnvironmentVariable("FORMATION_P2P_TEST_LOG") == "1" ? new StderrLoggerFactory() : null;

    /// <inheritdoc />
    public ILogger CreateLogger(string categoryName) => new Logger(categoryName);

    /// <inheritdoc />
    public void AddProvider(ILoggerProvider provider)
    {
    }

    /// <inheritdoc />
    public void Dispose()
    {
    }

    private sealed class Logger(string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Console.Error.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel} {category}: {formatter(state, exception)} {exception}");
    }
}
