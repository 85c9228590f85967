using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Mtls.WorkloadApi;

/// <summary>
/// Keeps one Workload API stream open for a source, for as long as the source lives. After every failure the stream
/// is reopened after a delay that grows exponentially (with jitter, capped); the delay starts afresh only once a
/// stream has stayed up for <see cref="WorkloadApiSourceOptions.HealthyStreamDuration"/> after its first update, so an
/// agent that sends one update and drops the stream each time is not hammered. <c>InvalidArgument</c> and
/// <c>Unimplemented</c> stop the watch, as the standard says; every other failure, including <c>PermissionDenied</c>
/// and a bug of our own while applying an update, is retried. <see cref="State"/> always says what is true: the watch
/// never ends silently while claiming to be ready.
/// </summary>
internal sealed class ReconnectingWatch : IAsyncDisposable
{
    private readonly string _what;
    private readonly WorkloadApiAddress _address;
    private readonly ILogger _logger;
    private readonly Func<Action, CancellationToken, Task> _stream;
    private readonly Action<WorkloadApiException> _onPermissionDenied;
    private readonly TimeProvider _time;
    private readonly TimeSpan _delay;
    private readonly TimeSpan _maxDelay;
    private readonly TimeSpan _healthyAfter;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _run = Task.CompletedTask;
    private int _attempts;
    private int _state = (int)WorkloadApiSourceState.Connecting;
    private WorkloadApiException? _lastError;
    private int _disposed;

    /// <param name="what">What is watched, for messages (e.g. "X.509-SVID").</param>
    /// <param name="address">The agent's address, for messages.</param>
    /// <param name="options">Backoff settings.</param>
    /// <param name="logger">Where failures are reported.</param>
    /// <param name="stream">Runs one stream to its end; calls the action after each update it applied.</param>
    /// <param name="onPermissionDenied">Withdraws the identity when the agent denies one.</param>
    internal ReconnectingWatch(string what, WorkloadApiAddress address, WorkloadApiSourceOptions options, ILogger logger, Func<Action, CancellationToken, Task> stream, Action<WorkloadApiException> onPermissionDenied)
    {
        _what = what;
        _address = address;
        _logger = logger;
        _stream = stream;
        _onPermissionDenied = onPermissionDenied;
        _time = options.TimeProvider;
        _delay = options.ReconnectDelay;
        _maxDelay = options.MaxReconnectDelay;
        _healthyAfter = options.HealthyStreamDuration;
    }

    internal WorkloadApiSourceState State => (WorkloadApiSourceState)Volatile.Read(ref _state);

    internal WorkloadApiException? LastError => Volatile.Read(ref _lastError);

    internal void Start() => _run = Task.Run(() => RunAsync(_stop.Token));

    /// <summary>Waits for the first update; fails with a message naming the address, the attempts and the last error.</summary>
    internal async Task WaitUntilReadyAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            await _ready.Task.WaitAsync(timeout, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException e)
        {
            var last = LastError;
            string lastError = last is null ? "no answer yet" : $"last error {last.StatusCode}: {last.Detail}";
            throw new WorkloadApiException(
                last?.StatusCode ?? StatusCode.DeadlineExceeded,
                $"No {_what} update from the Workload API at {_address} within {timeout.TotalSeconds:0.###} s after {Volatile.Read(ref _attempts)} attempt(s); {lastError}. Is the agent running and does it have an identity for this workload?",
                last ?? (Exception)e);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        await _run.ConfigureAwait(false);
        _stop.Dispose();
        Volatile.Write(ref _state, (int)WorkloadApiSourceState.Stopped);
        _ready.TrySetException(new ObjectDisposedException(nameof(ReconnectingWatch), $"The {_what} source was disposed before its first update."));
    }

    /// <summary>
    /// The delay before reconnecting after <paramref name="failures"/> failures in a row: the base delay doubled per
    /// failure, capped, then a random point in its upper half (so many workloads restarted with one agent spread out,
    /// yet no delay is shorter than half the nominal one).
    /// </summary>
    internal static TimeSpan Backoff(int failures, TimeSpan delay, TimeSpan maxDelay, double random)
    {
        double nominal = Math.Min(maxDelay.Ticks, delay.Ticks * Math.Pow(2, Math.Min(failures - 1, 62)));
        return TimeSpan.FromTicks((long)(nominal * (0.5 + (0.5 * random))));
    }

    private static bool IsTerminal(StatusCode code) => code is StatusCode.InvalidArgument or StatusCode.Unimplemented;

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            int failures = 0;
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var (error, healthySince) = await AttemptAsync(cancellationToken).ConfigureAwait(false);
                Volatile.Write(ref _lastError, error);
                if (IsTerminal(error.StatusCode))
                {
                    Stop(error);
                    return;
                }

                if (error.StatusCode == StatusCode.PermissionDenied)
                {
                    Volatile.Write(ref _state, (int)WorkloadApiSourceState.IdentityWithdrawn);
                    _onPermissionDenied(error);
                }
                else if (State == WorkloadApiSourceState.Ready)
                {
                    Volatile.Write(ref _state, (int)WorkloadApiSourceState.Reconnecting);
                }

                // Only a stream that stayed up long enough proves the agent healthy; one that delivers an update and
                // then breaks keeps the delay growing.
                if (healthySince is { } since && _time.GetElapsedTime(since) >= _healthyAfter)
                {
                    failures = 0;
                }

                failures++;
                var delay = Backoff(failures, _delay, _maxDelay, Random.Shared.NextDouble());
                _logger.StreamFailed(_what, _address, error.StatusCode, failures, error.Detail, delay);
                await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Disposal: the stream was cancelled on purpose.
        }
        catch (Exception e)
        {
            // Not expected (every stream failure is handled above), but if the loop ever dies, say so: a watch that
            // ended must not look ready.
            Stop(new WorkloadApiException(StatusCode.Internal, $"the {_what} watch failed: {e.Message}", e));
        }
    }

    /// <summary>Runs one stream to its end; returns why it ended and when it delivered its first update (if it did).</summary>
    private async Task<(WorkloadApiException Error, long? HealthySince)> AttemptAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _attempts);
        long? firstUpdate = null;
        try
        {
            await _stream(
                () =>
                {
                    firstUpdate ??= _time.GetTimestamp();
                    Volatile.Write(ref _attempts, 0);
                    Volatile.Write(ref _state, (int)WorkloadApiSourceState.Ready);
                    _ready.TrySetResult();
                },
                cancellationToken).ConfigureAwait(false);
            return (new WorkloadApiException(StatusCode.Unavailable, $"the agent ended the {_what} stream"), firstUpdate);
        }
        catch (WorkloadApiException e)
        {
            return (e, firstUpdate);
        }
        catch (Exception e) when (!(e is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            // A failure of our own while applying an update: the stream is reopened like any broken stream, so the
            // source neither stops rotating nor keeps claiming to be ready.
            return (new WorkloadApiException(StatusCode.Internal, $"applying a {_what} update failed: {e.Message}", e), firstUpdate);
        }
    }

    private void Stop(WorkloadApiException error)
    {
        Volatile.Write(ref _lastError, error);
        Volatile.Write(ref _state, (int)WorkloadApiSourceState.Failed);
        _logger.WatchStopped(_what, _address, error.StatusCode, error.Detail);
        _ready.TrySetException(new WorkloadApiException(error.StatusCode, $"The Workload API at {_address} refused the {_what} stream with {error.StatusCode}: {error.Detail}. Not retrying.", error));
    }
}
