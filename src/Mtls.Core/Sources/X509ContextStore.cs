using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;
using Mtls.Bundles;
using Mtls.Identity;
using Mtls.X509;

namespace Mtls.Sources;

/// <summary>
/// Holds the current snapshot for a source: chooses its SVID once (<see cref="SvidChoice"/>), swaps snapshot and
/// choice atomically, and fires the change token with every callback isolated (<see cref="ChangeSignal"/>).
/// </summary>
/// <remarks>
/// A replaced snapshot is never disposed here: its SVIDs and certificates may have been handed out (to a handshake, a
/// caller of <c>GetX509Svid()</c>, a connection that outlives many rotations) and must keep working for as long as
/// anyone holds them. Once nobody does, the garbage collector finalizes them and their native handles are released,
/// so nothing accumulates per rotation. Only <see cref="Dispose"/> releases the snapshot current at that moment.
/// </remarks>
internal sealed class X509ContextStore : IDisposable
{
    private readonly Lock _gate = new();
    private readonly bool _ownsSnapshots;
    private readonly SvidPreference _preference;
    private readonly ILogger? _logger;
    private readonly ChangeSignal _changed;
    private X509Selection? _current;
    private bool _disposed;

    /// <param name="ownsSnapshots">Release the current snapshot on disposal (and any published after it).</param>
    /// <param name="preference">Which SVID to present from each snapshot; null: the first.</param>
    /// <param name="logger">Where failing change callbacks and SVID pickers are reported.</param>
    /// <param name="sourceName">Names the source in those reports.</param>
    internal X509ContextStore(bool ownsSnapshots, SvidPreference? preference = null, ILogger? logger = null, string sourceName = "X.509")
    {
        _ownsSnapshots = ownsSnapshots;
        _preference = preference ?? SvidPreference.Default;
        _logger = logger;
        _changed = new ChangeSignal(sourceName, logger);
    }

    internal X509Context? Current => Volatile.Read(ref _current)?.Context;

    /// <summary>The SVID chosen from <see cref="Current"/>.</summary>
    internal X509Svid? Svid => Volatile.Read(ref _current)?.Svid;

    /// <summary>The current snapshot and its chosen SVID, as one read.</summary>
    internal X509Selection? Selection => Volatile.Read(ref _current);

    internal X509Bundle? GetBundle(TrustDomain trustDomain) =>
        Volatile.Read(ref _current)?.Context.Bundles.GetX509Bundle(trustDomain);

    internal IChangeToken GetChangeToken() => _changed.GetToken();

    /// <summary>
    /// Makes <paramref name="context"/> current and notifies watchers. <paramref name="beforeNotify"/> runs after the
    /// swap and before the token fires, so state a watcher reads on notification (e.g. "ready") is already true.
    /// Never throws because of a change callback.
    /// </summary>
    internal void Publish(X509Context context, Action? beforeNotify = null)
    {
        ArgumentNullException.ThrowIfNull(context);

        // Chosen outside the lock: a user's picker must not run while the store is locked.
        var selection = new X509Selection(context, SvidChoice.Choose(context.Svids, _preference, _logger));
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

            Volatile.Write(ref _current, selection);
        }

        beforeNotify?.Invoke();
        _changed.Fire();
    }

    /// <summary>Releases the current snapshot (when owned): SVIDs handed out from it stop working now.</summary>
    public void Dispose()
    {
        X509Context? current;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            current = _current?.Context;
            _current = null;
        }

        if (_ownsSnapshots)
        {
            current?.Release();
        }

        _changed.Dispose();
    }
}
