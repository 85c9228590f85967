using System.Collections.Frozen;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Primitives;
using Mtls.Bundles;
using Mtls.Identity;
using Mtls.Sources;
using Mtls.Telemetry;
using Mtls.WorkloadApi;

namespace Mtls.Federation;

/// <summary>
/// Keeps the bundles of foreign trust domains current from their SPIFFE bundle endpoints (<c>https_web</c> or
/// <c>https_spiffe</c>): each is fetched at once, then again when its <c>spiffe_refresh_hint</c> says (bounded by
/// <see cref="SpiffeFederationOptions.MinRefreshInterval"/> and <see cref="SpiffeFederationOptions.MaxRefreshInterval"/>,
/// with jitter), and after a failure with exponential backoff. A bundle is accepted only when it parses as a SPIFFE
/// bundle within <see cref="SpiffeLimits.MaxBundleDocumentBytes"/> and <see cref="SpiffeFederationOptions.FetchTimeout"/>,
/// every X.509 authority is a CA of the configured trust domain, and its sequence number does not go backwards; on
/// any failure the last good bundle stays trusted. Each bundle is stored under its configured trust domain only.
/// </summary>
/// <remarks>
/// Compose it with the workload's own source through <see cref="FederatedX509Source"/> (done by <c>AddSpiffeX509Source</c>
/// when <c>Spiffe:Federation</c> is configured): peers of a federated trust domain are then verified against its bundle
/// only, never a merged pool.
/// </remarks>
public sealed class FederatedBundleSource : IX509BundleSource, IJwtBundleSource, IAsyncDisposable
{
    private readonly SpiffeFederationOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly ChangeSignal _changed;
    private readonly ChangeSignal _attempted;
    private readonly CancellationTokenSource _stop = new();
    private readonly Watch[] _watches;
    private readonly Task[] _runs;
    private FrozenDictionary<TrustDomain, Trusted> _trusted;
    private int _disposed;

    /// <summary>Validates <paramref name="options"/>, loads the initial bundles and starts fetching every trust domain.</summary>
    /// <param name="options">The federated trust domains and fetch settings.</param>
    /// <param name="localTrustDomain">This workload's own trust domain, which may not be federated.</param>
    /// <param name="identity">Our SVID, presented to <c>https_spiffe</c> endpoints served on mTLS ports; null: none.</param>
    /// <param name="time">The clock for refresh, backoff, timeouts and certificate validity.</param>
    /// <param name="loggerFactory">Where fetch failures and accepted bundles are reported.</param>
    /// <exception cref="ArgumentException">The options are invalid; the message names every broken key.</exception>
    public FederatedBundleSource(
        SpiffeFederationOptions options,
        TrustDomain localTrustDomain,
        IX509SvidSource? identity = null,
        TimeProvider? time = null,
        ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(localTrustDomain);
        _options = options;
        _time = time ?? TimeProvider.System;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<FederatedBundleSource>();
        _changed = new ChangeSignal("federated bundle", _logger);
        _attempted = new ChangeSignal("federated bundle fetch", _logger);
        var endpoints = FederatedTrustDomain.CreateAll(options, localTrustDomain);
        _watches = [.. endpoints.Select(e => new Watch(e, new BundleEndpointFetcher(e, options, identity, _time)))];
        _trusted = _watches
            .Where(w => w.Endpoint.InitialBundle is not null)
            .ToFrozenDictionary(w => w.Endpoint.TrustDomain, w => new Trusted(w.Endpoint.InitialBundle!, w.Endpoint.InitialBundle!.ToX509Bundle()));
        _runs = [.. _watches.Select(w => Task.Run(() => RunAsync(w, _stop.Token)))];
    }

    /// <summary>The configured trust domains.</summary>
    public IReadOnlyList<TrustDomain> TrustDomains => [.. _watches.Select(w => w.Endpoint.TrustDomain)];

    /// <summary>Where each configured trust domain's bundle stands (for health and diagnostics).</summary>
    public IReadOnlyList<FederatedBundleStatus> Statuses => [.. _watches.Select(w => w.Status)];

    /// <summary>The trusted bundles as one immutable value: a new instance on every change of any of them.</summary>
    internal FrozenDictionary<TrustDomain, Trusted> Current => Volatile.Read(ref _trusted);

    /// <summary>The trusted bundle of <paramref name="trustDomain"/>, or null when it is not federated or has none yet.</summary>
    public SpiffeBundle? GetBundle(TrustDomain trustDomain)
    {
        ArgumentNullException.ThrowIfNull(trustDomain);
        return Volatile.Read(ref _trusted).GetValueOrDefault(trustDomain)?.Bundle;
    }

    /// <inheritdoc />
    public X509Bundle? GetX509Bundle(TrustDomain trustDomain)
    {
        ArgumentNullException.ThrowIfNull(trustDomain);
        return Volatile.Read(ref _trusted).GetValueOrDefault(trustDomain)?.X509;
    }

    /// <inheritdoc />
    public JwtBundle? GetJwtBundle(TrustDomain trustDomain) => GetBundle(trustDomain)?.JwtBundle;

    /// <summary>A token that fires when the trusted bundle of any federated trust domain changes.</summary>
    public IChangeToken GetChangeToken() => _changed.GetToken();

    /// <summary>A token that fires after each fetch attempt ends and its next one is scheduled (tests wait on it).</summary>
    internal IChangeToken GetAttemptToken() => _attempted.GetToken();

    /// <summary>Stops fetching. The bundles stay readable.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_runs).ConfigureAwait(false);
        _stop.Dispose();
        _changed.Dispose();
        _attempted.Dispose();
    }

    /// <summary>The refresh delay for a bundle's hint: the hint (or the default interval) within the bounds, minus up to a fifth of jitter.</summary>
    internal static TimeSpan RefreshDelay(TimeSpan? hint, SpiffeFederationOptions options, double random)
    {
        var nominal = hint ?? options.RefreshInterval;
        nominal = nominal < options.MinRefreshInterval ? options.MinRefreshInterval : nominal > options.MaxRefreshInterval ? options.MaxRefreshInterval : nominal;

        // Only ever earlier than asked: the hint bounds how long a removed key stays trusted.
        return nominal * (0.8 + (0.2 * random));
    }

    private async Task RunAsync(Watch watch, CancellationToken cancellationToken)
    {
        int failures = 0;
        try
        {
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                TimeSpan delay;
                var current = watch.Status.Bundle;
                try
                {
                    var bundle = await watch.Fetcher.FetchAsync(current, cancellationToken).ConfigureAwait(false);
                    failures = 0;
                    delay = RefreshDelay(bundle.RefreshHint, _options, Random.Shared.NextDouble());
                    Accept(watch, bundle, delay);
                }
                catch (Exception e) when (!(e is OperationCanceledException && cancellationToken.IsCancellationRequested))
                {
                    failures++;
                    var backoff = ReconnectingWatch.Backoff(failures, _options.RetryDelay, _options.MaxRetryDelay, Random.Shared.NextDouble());
                    var refresh = RefreshDelay(current?.RefreshHint, _options, Random.Shared.NextDouble());
                    delay = backoff < refresh ? backoff : refresh;
                    Fail(watch, e is BundleFetchException ? e.Message : $"unexpected error: {e.Message}", failures, delay);
                }

                // The timer exists before the next attempt is announced, so a fake clock advanced on the announcement
                // cannot miss it.
                var wait = Task.Delay(delay, _time, cancellationToken);
                watch.Status = watch.Status with { NextAttempt = _time.GetUtcNow() + delay };
                _attempted.Fire();
                await wait.ConfigureAwait(false);
                watch.Status = watch.Status with { NextAttempt = null };
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Disposal.
        }
    }

    private void Accept(Watch watch, SpiffeBundle bundle, TimeSpan delay)
    {
        var now = _time.GetUtcNow();
        string change;
        bool same;
        lock (_gate)
        {
            var trusted = Volatile.Read(ref _trusted);
            var previous = trusted.GetValueOrDefault(watch.Endpoint.TrustDomain);
            same = previous is not null && TrustJson(previous.Bundle) == TrustJson(bundle);
            change = previous is null ? "first bundle" : same ? "authorities unchanged" : "authorities changed";

            // Same authorities with a newer sequence or hint: the published X.509 bundle stays (TLS caches stay valid),
            // while later fetches are ordered against this bundle.
            var entry = same ? previous! with { Bundle = bundle } : new Trusted(bundle, bundle.ToX509Bundle());
            Volatile.Write(ref _trusted, new Dictionary<TrustDomain, Trusted>(trusted) { [watch.Endpoint.TrustDomain] = entry }.ToFrozenDictionary());
            watch.Status = watch.Status with { Bundle = bundle, LastSuccess = now, LastAttempt = now, LastError = null, ConsecutiveFailures = 0 };
        }

        if (!same)
        {
            _changed.Fire();
        }

        MtlsTelemetry.FederationFetches.Add(1, new(MtlsTelemetry.TrustDomainTag, watch.Endpoint.TrustDomain.Name), new(MtlsTelemetry.OutcomeTag, "ok"));
        _logger.BundleAccepted(watch.Endpoint.TrustDomain.Name, watch.Endpoint.Url, bundle.SequenceNumber, bundle.X509Authorities.Count, bundle.JwtBundle.Authorities.Count, change, delay);
    }

    private void Fail(Watch watch, string reason, int failures, TimeSpan delay)
    {
        var now = _time.GetUtcNow();
        var status = watch.Status with { LastAttempt = now, LastError = reason, ConsecutiveFailures = failures };
        watch.Status = status;
        MtlsTelemetry.FederationFetches.Add(1, new(MtlsTelemetry.TrustDomainTag, watch.Endpoint.TrustDomain.Name), new(MtlsTelemetry.OutcomeTag, "failed"));
        if (_logger.IsEnabled(LogLevel.Warning))
        {
            string kept = status.Bundle is null
                ? "no bundle: nobody of this trust domain is trusted"
                : status.AgeAt(now) is { } age ? $"the last good bundle (confirmed {age.TotalSeconds:0} s ago)" : "the initial bundle";
            _logger.FetchFailed(watch.Endpoint.TrustDomain.Name, watch.Endpoint.Url, failures, LogText.Sanitize(reason), kept, delay);
        }
    }

    /// <summary>The trust a bundle conveys (authorities only, without sequence and hint), for comparing two bundles.</summary>
    private static string TrustJson(SpiffeBundle bundle) =>
        new SpiffeBundle(bundle.TrustDomain, bundle.X509Authorities, bundle.JwtBundle.Authorities).ToJson();

    /// <summary>A trusted bundle and its X.509 authorities as the bundle set holds them (created once per accepted change).</summary>
    internal sealed record Trusted(SpiffeBundle Bundle, X509Bundle X509);

    private sealed class Watch(FederatedTrustDomain endpoint, BundleEndpointFetcher fetcher)
    {
        private FederatedBundleStatus _status = new(endpoint.TrustDomain, endpoint.Url, endpoint.InitialBundle, null, null, null, 0, null);

        internal FederatedTrustDomain Endpoint => endpoint;

        internal BundleEndpointFetcher Fetcher => fetcher;

        internal FederatedBundleStatus Status
        {
            get => Volatile.Read(ref _status);
            set => Volatile.Write(ref _status, value);
        }
    }
}
