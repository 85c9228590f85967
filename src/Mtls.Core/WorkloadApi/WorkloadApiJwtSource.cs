using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
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
/// passed. Reconnection and status handling are those of <see cref="WorkloadApiX509Source"/>; on <c>PermissionDenied</c>
/// the cached JWT-SVIDs are dropped and the bundles kept.
/// </summary>
public sealed class WorkloadApiJwtSource : IJwtBundleSource, IAsyncDisposable, IDisposable
{
    private const string What = "JWT bundles";
    private readonly WorkloadApiJwtSourceOptions _options;
    private readonly WorkloadApiClient _client;
    private readonly ReconnectingWatch _watch;
    private readonly JwtSvidValidator _validator;
    private readonly ConcurrentDictionary<(string Audiences, string? Subject), CachedSvid> _svids = new();
    private readonly Lock _gate = new();
    private readonly ILogger _logger;
    private JwtBundleSet? _bundles;
    private CancellationTokenSource _changed = new();

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
        _watch = new ReconnectingWatch(What, _client.Address, _options, _logger, StreamAsync, _ => _svids.Clear());
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

    /// <summary>A token that fires on the next change of <see cref="Bundles"/>.</summary>
    public IChangeToken GetChangeToken()
    {
        lock (_gate)
        {
            return new CancellationChangeToken(_changed.Token);
        }
    }

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

    /// <summary>A JWT-SVID carrying every one of <paramref name="audiences"/>, from the cache while fresh.</summary>
    /// <exception cref="WorkloadApiException">Fetching failed.</exception>
    public async Task<JwtSvid> GetJwtSvidAsync(IReadOnlyCollection<string> audiences, SpiffeId? subject = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(audiences);
        var key = (string.Join('\n', audiences.Order(StringComparer.Ordinal)), subject?.ToString());
        var now = _options.TimeProvider.GetUtcNow();
        if (_svids.TryGetValue(key, out var cached) && now < cached.RefreshAt)
        {
            return cached.Svid;
        }

        var svid = (await _client.FetchJwtSvidsAsync(audiences, subject, cancellationToken).ConfigureAwait(false))[0];
        var issued = svid.IssuedAt ?? now;
        var refreshAt = issued + ((svid.Expiry - issued) * _options.JwtSvidRefreshFraction);
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
        return svid;
    }

    /// <summary>Ends the stream and forgets the cached JWT-SVIDs.</summary>
    public async ValueTask DisposeAsync()
    {
        await _watch.DisposeAsync().ConfigureAwait(false);
        _svids.Clear();
        _client.Dispose();
        lock (_gate)
        {
            _changed.Dispose();
        }
    }

    /// <summary>Ends the stream and forgets the cached JWT-SVIDs.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private async Task StreamAsync(Action updated, CancellationToken cancellationToken)
    {
        await foreach (var bundles in _client.WatchJwtBundlesAsync(cancellationToken).ConfigureAwait(false))
        {
            CancellationTokenSource fired;
            lock (_gate)
            {
                Volatile.Write(ref _bundles, bundles);
                fired = _changed;
                _changed = new CancellationTokenSource();
            }

            _logger.JwtBundlesUpdated(Address, bundles.Bundles.Count);
            updated();
            fired.Cancel();
            fired.Dispose();
        }
    }

    private sealed record CachedSvid(JwtSvid Svid, DateTimeOffset RefreshAt);
}
