using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace FastAttn.Plugin.Tests.Support;

/// <summary>A logger provider keeping every entry, for tests that assert a warning was logged.</summary>
public sealed class LogCapture : ILoggerProvider
{
    public ConcurrentQueue<(LogLevel Level, string Category, string Message, Exception? Exception)> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    /// <summary>Whether a warning (or worse) whose message or exception contains <paramref name="text"/> was logged.</summary>
    public bool Warned(string text) => Entries.Any(e => e.Level >= LogLevel.Warning &&
        (e.Message.Contains(text, StringComparison.Ordinal) || (e.Exception?.ToString().Contains(text, StringComparison.Ordinal) ?? false)));

    public string Dump => string.Join("\n", Entries.Select(e => $"{e.Level} {e.Category}: {e.Message} {e.Exception?.Message}"));

    public void Dispose() { }

    private sealed class Logger(LogCapture owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Entries.Enqueue((logLevel, category, formatter(state, exception), exception));
    }
}
