using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Mtls.AspNetCore.Tests.Infrastructure;

/// <summary>Captures every log entry with its structured values.</summary>
public sealed class TestLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<LogEntry> _entries = new();
    private readonly Lock _gate = new();
    private TaskCompletionSource _logged = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public IReadOnlyList<LogEntry> Entries => [.. _entries];

    /// <summary>Waits (signalled by each new entry, at most <paramref name="timeout"/>) until <paramref name="condition"/> holds.</summary>
    public async Task WaitUntilAsync(Func<IReadOnlyList<LogEntry>, bool> condition, TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        while (true)
        {
            Task next;
            lock (_gate)
            {
                next = _logged.Task;
            }

            if (condition(Entries))
            {
                return;
            }

            await next.WaitAsync(cancellation.Token);
        }
    }

    public IReadOnlyList<LogEntry> WithEvent(string eventName) => [.. _entries.Where(e => e.EventName == eventName)];

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, this);

    private void Add(LogEntry entry)
    {
        _entries.Enqueue(entry);
        TaskCompletionSource fired;
        lock (_gate)
        {
            fired = _logged;
            _logged = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        fired.SetResult();
    }

    public void Dispose()
    {
    }

    private sealed class Logger(string category, TestLoggerProvider provider) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var values = state as IReadOnlyList<KeyValuePair<string, object?>> ?? [];
            provider.Add(new LogEntry(category, logLevel, eventId.Name, formatter(state, exception), values.ToDictionary(kv => kv.Key, kv => kv.Value)));
        }
    }
}

public sealed record LogEntry(string Category, LogLevel Level, string? EventName, string Message, IReadOnlyDictionary<string, object?> Values)
{
    public string? this[string key] => Values.TryGetValue(key, out var value) ? value?.ToString() : null;
}
