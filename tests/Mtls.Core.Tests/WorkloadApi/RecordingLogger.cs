using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Mtls.Core.Tests.WorkloadApi;

/// <summary>Collects log events so a test can wait for one (a signal, not a sleep) and read its structured values.</summary>
public sealed class RecordingLogger : ILoggerProvider, ILogger
{
    private readonly ConcurrentQueue<Entry> _entries = new();
    private readonly Lock _gate = new();
    private TaskCompletionSource _logged = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ILoggerFactory Factory => LoggerFactory.Create(builder => builder.AddProvider(this).SetMinimumLevel(LogLevel.Debug));

    public IReadOnlyCollection<Entry> Entries => _entries;

    public ILogger CreateLogger(string categoryName) => this;

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        var values = state as IReadOnlyList<KeyValuePair<string, object?>> ?? [];
        _entries.Enqueue(new Entry(eventId.Name ?? string.Empty, logLevel, formatter(state, exception), values.ToDictionary(v => v.Key, v => v.Value)));
        TaskCompletionSource fired;
        lock (_gate)
        {
            fired = _logged;
            _logged = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        fired.TrySetResult();
    }

    /// <summary>Waits for the <paramref name="count"/>-th event named <paramref name="eventName"/>.</summary>
    public async Task<Entry> WaitForAsync(string eventName, int count = 1, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            Task logged;
            lock (_gate)
            {
                logged = _logged.Task;
            }

            var matching = _entries.Where(e => e.EventName == eventName).ToList();
            if (matching.Count >= count)
            {
                return matching[count - 1];
            }

            try
            {
                await logged.WaitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"No log event {eventName} (#{count}) in time; got: {string.Join(" | ", _entries.Select(e => e.Message))}");
            }
        }
    }

    public void Dispose()
    {
    }

    public sealed record Entry(string EventName, LogLevel Level, string Message, IReadOnlyDictionary<string, object?> Values);
}
