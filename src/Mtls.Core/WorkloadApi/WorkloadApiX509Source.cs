using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Primitives;
using Mtls.Bundles;
using Mtls.Identity;
using Mtls.Sources;
using Mtls.Telemetry;
using Mtls.X509;

namespace Mtls.WorkloadApi;

/// <summary>
/// This workload's X.509 identity and trust bundles, kept current from the SPIFFE Workload API. It watches the agent's
/// X.509-SVID stream and answers every read from memory; each accepted update is a new <see cref="X509Context"/>
/// snapshot, announced through <see cref="GetChangeToken"/>.
/// </summary>
/// <remarks>
/// <para>Stream semantics follow the SPIFFE Workload API standard. Every update is the full state, so a federated
/// trust domain or CA missing from it stops being trusted. An update with an empty mandatory field is discarded and an
/// invalid one (bad certificate, key mismatch, chain not verifying against its own trust domain's bundle, a limit
/// exceeded) is rejected: both are logged and counted, and the previous state is kept.</para>
/// <para>When the stream breaks the last good state is served while the source reconnects with exponential backoff
/// and jitter (the delay starts afresh only after a stream stayed up for
/// <see cref="WorkloadApiSourceOptions.HealthyStreamDuration"/>). <c>PermissionDenied</c> means the workload has lost
/// its identity: the SVIDs are withdrawn (a snapshot without SVIDs is published, <see cref="GetX509Svid"/> answers null
/// without consulting any picker, so servers stop presenting it and clients stop sending it) while the bundles are
/// kept, since losing one's own identity does not make the trust domains' authorities untrustworthy and a client may
/// still verify servers with them; the source keeps retrying. <c>InvalidArgument</c> and <c>Unimplemented</c> are not
/// retried: <see cref="State"/> becomes <see cref="WorkloadApiSourceState.Failed"/> and <see cref="LastError"/> says why.</para>
/// <para>Change callbacks run isolated: one that throws is logged once and stops neither the watch nor other callbacks.</para>
/// <para>An SVID or snapshot handed out stays usable while the caller holds it, across rotations; disposal ends the
/// stream and releases the certificates and keys of the current snapshot.</para>
/// </remarks>
public sealed class WorkloadApiX509Source : IX509Source, IX509SelectionSource, IAsyncDisposable, IDisposable
{
    private const string What = "X.509-SVID";

    /// <summary>Timers cannot wait longer than about 49 days; a later expiry re-arms when this one fires.</summary>
    private static readonly TimeSpan MaxTimerDue = TimeSpan.FromDays(30);
    private readonly WorkloadApiX509SourceOptions _options;
    private readonly WorkloadApiClient _client;
    private readonly X509ContextStore _store;
    private readonly ReconnectingWatch _watch;
    private readonly ILogger _logger;
    private readonly Lock _publishGate = new();
    private ITimer? _expiry;

    /// <summary>Creates the source and starts watching; use <see cref="WaitUntilReadyAsync"/> (or <see cref="CreateAsync"/>) before relying on it.</summary>
    /// <param name="options">Address, limits, first-update timeout, backoff and SVID choice.</param>
    /// <param name="loggerFactory">Where the source and its client log.</param>
    /// <exception cref="InvalidWorkloadApiAddressException">The address is missing or invalid.</exception>
    public WorkloadApiX509Source(WorkloadApiX509SourceOptions? options = null, ILoggerFactory? loggerFactory = null)
    {
        _options = options ?? new WorkloadApiX509SourceOptions();
        _options.Validate();
        loggerFactory ??= NullLoggerFactory.Instance;
        _logger = loggerFactory.CreateLogger<WorkloadApiX509Source>();
        _client = new WorkloadApiClient(_options, loggerFactory.CreateLogger<WorkloadApiClient>());
        _store = new X509ContextStore(ownsSnapshots: true, _options.ResolvePreference(), _logger, "Workload API X.509");
        _watch = new ReconnectingWatch(What, _client.Address, _options, _logger, StreamAsync, Withdraw);
        _watch.Start();
    }

    /// <summary>The endpoint watched.</summary>
    public WorkloadApiAddress Address => _client.Address;

    /// <summary>Where the source stands with the agent.</summary>
    public WorkloadApiSourceState State => _watch.State;

    /// <summary>The last stream failure, or null when there has been none.</summary>
    public WorkloadApiException? LastError => _watch.LastError;

    /// <inheritdoc />
    public X509Context? Current => _store.Current;

    /// <summary>
    /// Creates the source and waits for the agent's first valid update (at most
    /// <see cref="WorkloadApiSourceOptions.InitialFetchTimeout"/>).
    /// </summary>
    /// <exception cref="WorkloadApiException">No update in time (the message names the address, the attempts and the last error), or the agent refused the stream.</exception>
    public static async Task<WorkloadApiX509Source> CreateAsync(WorkloadApiX509SourceOptions? options = null, ILoggerFactory? loggerFactory = null, CancellationToken cancellationToken = default)
    {
        var source = new WorkloadApiX509Source(options, loggerFactory);
        try
        {
            await source.WaitUntilReadyAsync(cancellationToken).ConfigureAwait(false);
            return source;
        }
        catch
        {
            await source.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Waits for the first valid update, at most <see cref="WorkloadApiSourceOptions.InitialFetchTimeout"/>.</summary>
    /// <exception cref="WorkloadApiException">No update in time, or the agent refused the stream.</exception>
    public Task WaitUntilReadyAsync(CancellationToken cancellationToken = default) =>
        _watch.WaitUntilReadyAsync(_options.InitialFetchTimeout, cancellationToken);

    /// <inheritdoc />
    X509Selection? IX509SelectionSource.Selection => _store.Selection;

    /// <inheritdoc />
    public X509Svid? GetX509Svid() => _store.Svid;

    /// <inheritdoc />
    public X509Bundle? GetX509Bundle(TrustDomain trustDomain) => _store.GetBundle(trustDomain);

    /// <inheritdoc />
    public IChangeToken GetChangeToken() => _store.GetChangeToken();

    /// <summary>Ends the stream and releases every certificate and key the source holds.</summary>
    public async ValueTask DisposeAsync()
    {
        await _watch.DisposeAsync().ConfigureAwait(false);
        lock (_publishGate)
        {
            _expiry?.Dispose();
            _expiry = null;
        }

        _store.Dispose();
        _client.Dispose();
    }

    /// <summary>Ends the stream and releases every certificate and key the source holds.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private async Task StreamAsync(Action updated, CancellationToken cancellationToken)
    {
        await foreach (var context in _client.WatchX509ContextsAsync(cancellationToken).ConfigureAwait(false))
        {
            Publish(context, updated);
        }
    }

    private void Publish(X509Context context, Action updated)
    {
        byte[]? previousSerial = _store.Svid?.Certificate.GetSerialNumber();

        // Serialized with the expiry check, so that an SVID expiring as its replacement arrives never withdraws the replacement.
        lock (_publishGate)
        {
            _store.Publish(context, updated);
        }

        var svid = _store.Svid;
        if (previousSerial is not null && svid is not null && !previousSerial.AsSpan().SequenceEqual(svid.Certificate.GetSerialNumber()))
        {
            MtlsTelemetry.Rotations.Add(1, new KeyValuePair<string, object?>(MtlsTelemetry.SourceTag, "workload-api"));
        }

        _logger.X509ContextUpdated(Address, svid, context.Bundles.Bundles.Count);
        ArmExpiry(svid);
    }

    /// <summary>
    /// An SVID is served only until it expires: when the agent is unreachable (or silent) past that point, the source
    /// withdraws it rather than keep handing out a certificate every peer refuses.
    /// </summary>
    private void ArmExpiry(X509Svid? svid)
    {
        var time = _options.TimeProvider;
        lock (_publishGate)
        {
            _expiry?.Dispose();
            _expiry = null;
            if (svid is null)
            {
                return;
            }

            var due = svid.NotAfter - time.GetUtcNow();
            due = due < TimeSpan.Zero ? TimeSpan.Zero : due > MaxTimerDue ? MaxTimerDue : due;
            _expiry = time.CreateTimer(static state => ((ExpiryCheck)state!).Run(), new ExpiryCheck(this, svid), due, Timeout.InfiniteTimeSpan);
        }
    }

    private void ExpireIfStillCurrent(X509Svid svid)
    {
        lock (_publishGate)
        {
            if (!ReferenceEquals(_store.Svid, svid))
            {
                return;
            }

            if (_options.TimeProvider.GetUtcNow() < svid.NotAfter)
            {
                ArmExpiry(svid);
                return;
            }

            if (_store.Current is { } current)
            {
                // The bundles are shared with the withdrawn snapshot: the store never disposes a snapshot it replaced.
                _store.Publish(new X509Context([], current.Bundles));
                _logger.SvidExpired(Address, svid.Id.ToString(), svid.NotAfter);
            }
        }
    }

    private void Withdraw(WorkloadApiException error)
    {
        var current = _store.Current;
        if (current is null || current.Svids.Count == 0)
        {
            return;
        }

        // The bundles are shared with the withdrawn snapshot: the store never disposes a snapshot it replaced.
        _store.Publish(new X509Context([], current.Bundles));
        _logger.IdentityWithdrawn(Address, error.Detail);
    }

    /// <summary>The state of one expiry timer: which SVID it watches.</summary>
    private sealed record ExpiryCheck(WorkloadApiX509Source Source, X509Svid Svid)
    {
        internal void Run() => Source.ExpireIfStillCurrent(Svid);
    }
}
