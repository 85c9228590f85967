using Grpc.Core;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;

namespace Mtls.WorkloadApi;

/// <summary>
/// Keeps one Workload API stream open for a source, for as long as the source lives. The stream is reopened through a
/// Polly retry pipeline (exponential backoff with jitter, capped) whose attempt count starts afresh once a stream has
/// delivered an update. <c>InvalidArgument</c> and <c>Unimplemented</c> stop the watch, as the standard says;
/// every other failure, including <c>PermissionDenied</c>, is retried. The state the source serves is never touched
/// here except through the permission-denied callback.
/// </summary>
internal sealed class ReconnectingWatch : IAsyncDisposable
{
    private readonly string _what;
    private readonly WorkloadApiAddress _address;
    private readonly ILogger _logger;
    private readonly Func<Action, CancellationToken, Task> _stream;
    private readonly Action<WorkloadApiException> _onPermissionDenied;
    private readonly ResiliencePipeline _pipeline;
    private readonly TimeProvider _time;
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
        _pipeline = new ResiliencePipelineBuilder { TimeProvider = options.TimeProvider }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<WorkloadApiException>(e => !IsTerminal(e.StatusCode)),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.ReconnectDelay,
                MaxDelay = options.MaxReconnectDelay,
                MaxRetryAttempts = int.MaxValue,
                OnRetry = args =>
                {
                    var error = (WorkloadApiException)args.Outcome.Exception!;
                    _logger.StreamFailed(_what, _address, error.StatusCode, args.AttemptNumber + 1, error.Detail, args.RetryDelay);
                    return default;
                },
            })
            .Build();
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
        _ready.TrySetException(new ObjectDisposedException(nameof(ReconnectingWatch), $"The {_what} source was disposed before its first update."));
    }

    private static bool IsTerminal(StatusCode code) => code is StatusCode.InvalidArgument or StatusCode.Unimplemented;

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                await _pipeline.ExecuteAsync(AttemptAsync, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Disposal: the stream was cancelled on purpose.
        }
        catch (WorkloadApiException e)
        {
            Volatile.Write(ref _lastError, e);
            Volatile.Write(ref _state, (int)WorkloadApiSourceState.Failed);
            _logger.WatchStopped(_what, _address, e.StatusCode, e.Detail);
            _ready.TrySetException(new WorkloadApiException(e.StatusCode, $"The Workload API at {_address} refused the {_what} stream with {e.StatusCode}: {e.Detail}. Not retrying.", e));
        }
    }

    private async ValueTask AttemptAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _attempts);
        bool updated = false;
        try
        {
            await _stream(
                () =>
                {
                    updated = true;
                    Volatile.Write(ref _attempts, 0);
                    Volatile.Write(ref _state, (int)WorkloadApiSourceState.Ready);
                    _ready.TrySetResult();
                },
                cancellationToken).ConfigureAwait(false);
            throw new WorkloadApiException(StatusCode.Unavailable, $"the agent ended the {_what} stream");
        }
        catch (WorkloadApiException e)
        {
            Volatile.Write(ref _lastError, e);
            if (e.StatusCode == StatusCode.PermissionDenied)
            {
                Volatile.Write(ref _state, (int)WorkloadApiSourceState.IdentityWithdrawn);
                _onPermissionDenied(e);
            }
            else if (State == WorkloadApiSourceState.Ready)
            {
                Volatile.Write(ref _state, (int)WorkloadApiSourceState.Reconnecting);
            }

            if (updated && !IsTerminal(e.StatusCode))
            {
                // The stream worked before it broke: reconnect now, with the backoff starting afresh.
                _logger.StreamFailed(_what, _address, e.StatusCode, 1, e.Detail, TimeSpan.Zero);
                return;
            }

            throw;
        }
    }
}
