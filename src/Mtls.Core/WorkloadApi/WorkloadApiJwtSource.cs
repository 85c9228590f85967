using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Grpc.Core;
using Microsoft.Extensions.Primitives;
using Mtls.Bundles;
using Mtls.Identity;
using Mtls.Jwt;
using Mtls.Sources;

namespace Mtls.WorkloadApi;

/// <summary>
/// JWT-SVIDs and JWT bundles from the SPIFFE Workload API. The JWT bundles are streamed and kept in memory (each update
/// is the full set; a trust domain missing from it is no longer trusted), announced through <see cref="GetChangeToken"/>;
/// <see cref="ValidateJwtSvid"/> checks a peer's token locally against them. JWT-SVIDs are fetched per audience and
/// subject and cached until <see cref="WorkloadApiJwtSourceOptions.JwtSvidRefreshFraction"/> of their lifetime has
/// passed; concurrent callers asking for the same audiences and subject share one fetch. Reconnection and status
/// handling are those of <see cref="WorkloadApiX509Source"/>. <c>PermissionDenied</c> on any call (the bundle stream or
/// a JWT-SVID fetch) withdraws the identity: every cached JWT-SVID is dropped at once, fetches in flight are not cached,
/// and no JWT-SVID is answered from the cache until the agent issues one again; the bundles are kept.
/// </summary>
public sealed class WorkloadApiJwtSource : IJwtBundleSource, IJwtSvidSource, IAsyncDisposable, IDisposable
{
    private const string What = "JWT bundles";
    private readonly WorkloadApiJwtSourceOptions _options;
    private readonly WorkloadApiClient _client;
    private readonly ReconnectingWatch _watch;
    private readonly JwtSvidValidator _validator;
    private readonly ConcurrentDictionary<CacheKey, CachedSvid> _svids = new();
    private readonly Lock _fetchGate = new();
    private readonly Dictionary<CacheKey, Task<JwtSvid>> _inFlight = [];
    private readonly CancellationTokenSource _lifetime = new();
    private readonly ChangeSignal _changed;
    private readonly ILogger _logger;
    private JwtBundleSet? _bundles;
    private int _generation;
    private int _disposed;

    /// <summary>Creates the source and starts watching the JWT bundles; use <see cref="WaitUntilReadyAsync"/> (or <see cref="CreateAsync"/>) before relying on it.</summary>
    /// <exception cref="InvalidWorkloadApiAddressException">The address is missing or invalid.</exception>
    public WorkloadApiJwtSource(WorkloadApiJwtSourceOptions? options = null, ILoggerFactory? loggerFactory = null)
    {
        _options = options ?? new WorkloadApiJwtSourceOptions();
        _options.Validate();
        loggerFactory ??= NullLoggerFactory.Instance;
        _logger = loggerFactory.CreateLogger<WorkloadApiJwtSource>();
        _client = new WorkloadApiClient(_options, loggerFactory.CreateLogger<WorkloadApiClient>());
        _validator = new JwtSvidValidator(this, _options.TimeProvider);
        _changed = new ChangeSignal("Workload API JWT", _logger);
        _watch = new ReconnectingWatch(What, _client.Address, _options, _logger, StreamAsync, Withdraw);
        _watch.Start();
    }

    /// <summary>The endpoint watched.</summary>
    public WorkloadApiAddress Address => _client.Address;

    /// <summary>Where the source stands with the agent.</summary>
    public WorkloadApiSourceState State => _watch.State;

    /// <summary>The last stream failure, or null when there has been none.</summary>
    public WorkloadApiException? LastError => _watch.LastError;

    /// <summary>The latest JWT bundles, or null before the first update.</summary>
    public JwtBundleSet? Bundles => Volatile.Read(ref _bundles);

    /// <summary>Creates the source and waits for the first JWT bundles (at most <see cref="WorkloadApiSourceOptions.InitialFetchTimeout"/>).</summary>
    /// <exception cref="WorkloadApiException">No update in time, or the agent refused the stream.</exception>
    public static async Task<WorkloadApiJwtSource> CreateAsync(WorkloadApiJwtSourceOptions? options = null, ILoggerFactory? loggerFactory = null, CancellationToken cancellationToken = default)
    {
        var source = new WorkloadApiJwtSource(options, loggerFactory);
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

    /// <summary>Waits for the first valid JWT bundles, at most <see cref="WorkloadApiSourceOptions.InitialFetchTimeout"/>.</summary>
    /// <exception cref="WorkloadApiException">No update in time, or the agent refused the stream.</exception>
    public Task WaitUntilReadyAsync(CancellationToken cancellationToken = default) =>
        _watch.WaitUntilReadyAsync(_options.InitialFetchTimeout, cancellationToken);

    /// <inheritdoc />
    public JwtBundle? GetJwtBundle(TrustDomain trustDomain) => Bundles?.GetJwtBundle(trustDomain);

    /// <summary>
    /// A token that fires on the next change of <see cref="Bundles"/>. A callback that throws is logged once and stops
    /// neither the source nor the other callbacks.
    /// </summary>
    public IChangeToken GetChangeToken() => _changed.GetToken();

    /// <summary>
    /// Validates a peer's JWT-SVID locally against the streamed bundles (only the bundle of the <c>sub</c>'s trust domain
    /// is used) for <paramref name="audience"/>.
    /// </summary>
    /// <exception cref="JwtSvidException">The token breaks a rule; <see cref="JwtSvidException.Rule"/> names it.</exception>
    public JwtSvid ValidateJwtSvid(string token, string audience) => _validator.Validate(token, audience);

    /// <summary>A JWT-SVID for <paramref name="audience"/> (the default identity, or <paramref name="subject"/>), from the cache while fresh.</summary>
    /// <exception cref="WorkloadApiException">Fetching failed.</exception>
    public Task<JwtSvid> GetJwtSvidAsync(string audience, SpiffeId? subject = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(audience);
        return GetJwtSvidAsync([audience], subject, cancellationToken);
    }

    /// <summary>
    /// A JWT-SVID carrying every one of <paramref name="audiences"/>, from the cache while fresh. The cache is keyed by
    /// the exact set of audiences (order and repetition do not matter, as for the token's <c>aud</c> claim) and the
    /// subject. Callers asking for the same key while a fetch is under way share that fetch.
    /// </summary>
    /// <exception cref="WorkloadApiException">Fetching failed (<c>PermissionDenied</c>: the identity was withdrawn, and every cached JWT-SVID with it).</exception>
    public async Task<JwtSvid> GetJwtSvidAsync(IReadOnlyCollection<string> audiences, SpiffeId? subject = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(audiences);
        if (audiences.Count == 0 || audiences.Any(string.IsNullOrEmpty))
        {
            throw new ArgumentException("At least one audience is needed, and none may be empty.", nameof(audiences));
        }

        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var key = CacheKey.Of(audiences, subject);
        if (_svids.TryGetValue(key, out var cached) && _options.TimeProvider.GetUtcNow() < cached.RefreshAt)
        {
            return cached.Svid;
        }

        Task<JwtSvid> fetch;
        lock (_fetchGate)
        {
            if (!_inFlight.TryGetValue(key, out fetch!))
            {
                // The shared fetch runs on the source's lifetime, not on the first caller's token: one caller giving up
                // must not fail the others.
                var completion = new TaskCompletionSource<JwtSvid>(TaskCreationOptions.RunContinuationsAsynchronously);
                fetch = completion.Task;
                _inFlight[key] = fetch;
                _ = FetchAsync(key, [.. audiences], subject, _generation, completion);
            }
        }

        return await fetch.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Ends the stream and forgets the cached JWT-SVIDs.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _lifetime.CancelAsync().ConfigureAwait(false);
        await _watch.DisposeAsync().ConfigureAwait(false);
        _svids.Clear();
        _client.Dispose();
        _changed.Dispose();
    }

    /// <summary>Ends the stream and forgets the cached JWT-SVIDs.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private async Task StreamAsync(Action updated, CancellationToken cancellationToken)
    {
        await foreach (var bundles in _client.WatchJwtBundlesAsync(cancellationToken).ConfigureAwait(false))
        {
            Volatile.Write(ref _bundles, bundles);
            _logger.JwtBundlesUpdated(Address, bundles.Bundles.Count);
            updated();
            _changed.Fire();
        }
    }

    /// <summary>Fetches for the callers sharing <paramref name="completion"/>; caches the answer unless the identity was withdrawn meanwhile.</summary>
    private async Task FetchAsync(CacheKey key, string[] audiences, SpiffeId? subject, int generation, TaskCompletionSource<JwtSvid> completion)
    {
        try
        {
            var now = _options.TimeProvider.GetUtcNow();
            var svid = (await _client.FetchJwtSvidsAsync(audiences, subject, _lifetime.Token).ConfigureAwait(false))[0];
            var issued = svid.IssuedAt ?? now;
            var refreshAt = issued + ((svid.Expiry - issued) * _options.JwtSvidRefreshFraction);
            lock (_fetchGate)
            {
                _inFlight.Remove(key);
                if (generation != _generation)
                {
                    // Issued before a withdrawal that happened while it travelled: fail closed.
                    throw new WorkloadApiException(StatusCode.PermissionDenied, $"The Workload API at {Address} withdrew this workload's identity while a JWT-SVID was being fetched.");
                }

                Store(key, svid, refreshAt, now);
            }

            completion.TrySetResult(svid);
        }
        catch (Exception e)
        {
            lock (_fetchGate)
            {
                _inFlight.Remove(key);
            }

            if (e is WorkloadApiException { StatusCode: StatusCode.PermissionDenied } denied)
            {
                Withdraw(denied);
            }

            completion.TrySetException(e);
        }
    }

    private void Store(CacheKey key, JwtSvid svid, DateTimeOffset refreshAt, DateTimeOffset now)
    {
        if (_svids.Count >= _options.MaxCachedJwtSvids)
        {
            foreach (var stale in _svids.Where(e => e.Value.RefreshAt <= now))
            {
                _svids.TryRemove(stale);
            }

            if (_svids.Count >= _options.MaxCachedJwtSvids)
            {
                _svids.Clear();
            }
        }

        _svids[key] = new CachedSvid(svid, refreshAt);
    }

    /// <summary>PermissionDenied on any call: every JWT-SVID this source holds or is fetching stops being served.</summary>
    private void Withdraw(WorkloadApiException error)
    {
        lock (_fetchGate)
        {
            _generation++;
            _svids.Clear();
        }

        _logger.JwtIdentityWithdrawn(Address, error.Detail);
    }

    private sealed record CachedSvid(JwtSvid Svid, DateTimeOffset RefreshAt);

    /// <summary>
    /// The exact cache key: the audiences as a set (sorted, without repeats) written length-prefixed, so no two different
    /// sets can collide whatever characters they contain ("a\nb" is not "a" and "b"), and the subject.
    /// </summary>
    private readonly record struct CacheKey(string Audiences, string? Subject)
    {
        internal static CacheKey Of(IReadOnlyCollection<string> audiences, SpiffeId? subject)
        {
            var builder = new System.Text.StringBuilder();
            foreach (string audience in audiences.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
            {
                builder.Append(audience.Length).Append(':').Append(audience);
            }

            return new CacheKey(builder.ToString(), subject?.ToString());
        }
    }
}
