using Microsoft.Extensions.Primitives;
using Mtls.Bundles;
using Mtls.Identity;
using Mtls.X509;

namespace Mtls.Sources;

/// <summary>
/// Holds the current snapshot for a source: swaps it atomically, fires the change token, and releases retired
/// snapshots. A replaced snapshot is released only when the one after it is replaced too, so a handshake that
/// read it just before a rotation is never left holding disposed certificates.
/// </summary>
internal sealed class X509ContextStore : IDisposable
{
    private readonly Lock _gate = new();
    private readonly bool _ownsSnapshots;
    private readonly Func<IReadOnlyList<X509Svid>, X509Svid?> _picker;
    private Snapshot? _current;
    private X509Context? _retired;
    private CancellationTokenSource _changed = new();
    private bool _disposed;

    internal X509ContextStore(bool ownsSnapshots, Func<IReadOnlyList<X509Svid>, X509Svid?>? picker = null)
    {
        _ownsSnapshots = ownsSnapshots;
        _picker = picker ?? (svids => svids.Count > 0 ? svids[0] : null);
    }

    internal X509Context? Current => Volatile.Read(ref _current)?.Context;

    internal X509Svid? Svid => Volatile.Read(ref _current)?.Svid;

    internal X509Bundle? GetBundle(TrustDomain trustDomain) =>
        Volatile.Read(ref _current)?.Context.Bundles.GetX509Bundle(trustDomain);

    internal IChangeToken GetChangeToken()
    {
        lock (_gate)
        {
            return new CancellationChangeToken(_changed.Token);
        }
    }

    /// <summary>
    /// Makes <paramref name="context"/> current and notifies watchers. <paramref name="beforeNotify"/> runs after the
    /// swap and before the token fires, so state a watcher reads on notification (e.g. "ready") is already true.
    /// </summary>
    internal void Publish(X509Context context, Action? beforeNotify = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        CancellationTokenSource fired;
        X509Context? toRelease;
        lock (_gate)
        {
            if (_disposed)
            {
                if (_ownsSnapshots)
                {
                    context.Release();
                }

                return;
            }

            var previous = _current?.Context;
            Volatile.Write(ref _current, new Snapshot(context, _picker(context.Svids)));
            toRelease = _retired;
            _retired = previous;
            fired = _changed;
            _changed = new CancellationTokenSource();
        }

        if (_ownsSnapshots)
        {
            toRelease?.Release();
        }

        beforeNotify?.Invoke();
        fired.Cancel();
        fired.Dispose();
    }

    public void Dispose()
    {
        X509Context? current;
        X509Context? retired;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            current = _current?.Context;
            retired = _retired;
            _current = null;
            _retired = null;
        }

        if (_ownsSnapshots)
        {
            current?.Release();
            retired?.Release();
        }

        _changed.Dispose();
    }

    private sealed record Snapshot(X509Context Context, X509Svid? Svid);
}
