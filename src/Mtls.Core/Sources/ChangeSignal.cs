using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Primitives;

namespace Mtls.Sources;

/// <summary>
/// The change notification of a source: hands out tokens that fire once on the next <see cref="Fire"/>. Every callback
/// runs isolated: one that throws is logged (once per callback, not on every rotation) and stops neither the source
/// that fired it nor the other callbacks. Without this, a consumer's bug would escape into the source's watch loop,
/// timer or file-system event and end rotation (or the process) while the source still looked healthy.
/// </summary>
internal sealed class ChangeSignal : IDisposable
{
    private readonly Lock _gate = new();
    private readonly ILogger _logger;
    private readonly string _source;

    // Keyed by the callback's state (what ChangeToken.OnChange passes on every re-registration), else the delegate:
    // weak, so a callback that goes away takes its entry with it.
    private readonly ConditionalWeakTable<object, object> _reported = [];
    private CancellationTokenSource _changed = new();
    private bool _disposed;

    /// <param name="source">Names the source in log messages, e.g. "Workload API X.509".</param>
    /// <param name="logger">Where failing callbacks are reported.</param>
    internal ChangeSignal(string source, ILogger? logger)
    {
        _source = source;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>A token that fires on the next <see cref="Fire"/>.</summary>
    internal IChangeToken GetToken()
    {
        lock (_gate)
        {
            // After disposal: a token that never fires, so a consumer re-registering during shutdown does not throw.
            return new Token(this, _disposed ? CancellationToken.None : _changed.Token);
        }
    }

    /// <summary>Fires every token handed out so far; never throws, whatever the callbacks do.</summary>
    internal void Fire()
    {
        CancellationTokenSource fired;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            fired = _changed;
            _changed = new CancellationTokenSource();
        }

        fired.Cancel();
        fired.Dispose();
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _changed.Dispose();
        }
    }

    private void Report(Exception exception, Action<object?> callback, object? state)
    {
        object key = state ?? callback;
        if (_reported.TryAdd(key, key))
        {
            SourceLog.ChangeCallbackFailed(_logger, _source, callback.Method.DeclaringType?.FullName ?? "(unknown)", exception);
        }
    }

    private sealed class Token(ChangeSignal owner, CancellationToken token) : IChangeToken
    {
        public bool HasChanged => token.IsCancellationRequested;

        public bool ActiveChangeCallbacks => true;

        public IDisposable RegisterChangeCallback(Action<object?> callback, object? state)
        {
            ArgumentNullException.ThrowIfNull(callback);

            // Unsafe: the caller's ExecutionContext does not flow into the source's thread (as CancellationChangeToken does).
            return token.UnsafeRegister(static s => ((Registration)s!).Invoke(), new Registration(owner, callback, state));
        }
    }

    private sealed class Registration(ChangeSignal owner, Action<object?> callback, object? state)
    {
        internal void Invoke()
        {
            try
            {
                callback(state);
            }
            // A consumer's exception of any type must not reach the source: it is reported instead.
            catch (Exception e)
            {
                owner.Report(e, callback, state);
            }
        }
    }
}
