using System.Collections.Frozen;
using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Primitives;
using Mtls.Bundles;
using Mtls.Identity;
using Mtls.Sources;
using Mtls.X509;

namespace Mtls.Federation;

/// <summary>
/// Any <see cref="IX509Source"/> with federated trust domains added: its snapshots carry the inner source's SVIDs and
/// bundles plus one bundle per federated trust domain from a <see cref="FederatedBundleSource"/>, each under its own
/// trust domain, so the TLS layers verify a peer of a federated trust domain against that trust domain's fetched bundle
/// only. A trust domain the inner source already has a bundle for (our own, or one a Workload API federates) keeps the
/// inner source's bundle: a fetched bundle never replaces it. Its change token fires when either changes.
/// </summary>
/// <remarks>It owns neither source; disposing it only stops listening to them.</remarks>
public sealed class FederatedX509Source : IX509Source, IX509SelectionSource, IDisposable
{
    private readonly IX509Source _inner;
    private readonly FederatedBundleSource _federation;
    private readonly ILogger _logger;
    private readonly ChangeSignal _changed;
    private readonly IDisposable _innerSubscription;
    private readonly IDisposable _federationSubscription;
    private readonly ConcurrentDictionary<TrustDomain, byte> _shadowReported = new();
    private Composed? _composed;

    /// <summary>Adds the bundles of <paramref name="federation"/> to the snapshots of <paramref name="inner"/>.</summary>
    public FederatedX509Source(IX509Source inner, FederatedBundleSource federation, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(federation);
        _inner = inner;
        _federation = federation;
        _logger = logger ?? NullLogger.Instance;
        _changed = new ChangeSignal("federated X.509", _logger);
        _innerSubscription = ChangeToken.OnChange(inner.GetChangeToken, _changed.Fire);
        _federationSubscription = ChangeToken.OnChange(federation.GetChangeToken, _changed.Fire);
    }

    /// <summary>The decorated source (its state and errors tell the identity's health).</summary>
    internal IX509Source Inner => _inner;

    /// <summary>The federated bundles added.</summary>
    internal FederatedBundleSource Federation => _federation;

    /// <inheritdoc />
    public X509Context? Current => Selection?.Context;

    /// <inheritdoc />
    X509Selection? IX509SelectionSource.Selection => Selection;

    private X509Selection? Selection
    {
        get
        {
            var read = X509SourceChoice.Read(_inner);
            if (read is null)
            {
                return null;
            }

            var federated = _federation.Current;
            var composed = Volatile.Read(ref _composed);
            if (composed is not null && ReferenceEquals(composed.Inner.Context, read.Context) && ReferenceEquals(composed.Inner.Svid, read.Svid) && ReferenceEquals(composed.Federated, federated))
            {
                return composed.Outer;
            }

            // Racing readers may both compose; both results hold the same bundles. The cache keeps one snapshot per
            // pair of inner snapshot and federated bundles, so the TLS caches rebuild only when either changes.
            var outer = new X509Selection(new X509Context(read.Context.Svids, Compose(read.Context.Bundles, federated)), read.Svid);
            Volatile.Write(ref _composed, new Composed(read, federated, outer));
            return outer;
        }
    }

    /// <inheritdoc />
    public X509Svid? GetX509Svid() => Selection?.Svid;

    /// <inheritdoc />
    public X509Bundle? GetX509Bundle(TrustDomain trustDomain) => Current?.Bundles.GetX509Bundle(trustDomain);

    /// <inheritdoc />
    public IChangeToken GetChangeToken() => _changed.GetToken();

    /// <inheritdoc />
    public void Dispose()
    {
        _innerSubscription.Dispose();
        _federationSubscription.Dispose();
        _changed.Dispose();
    }

    private X509BundleSet Compose(X509BundleSet inner, FrozenDictionary<TrustDomain, FederatedBundleSource.Trusted> federated)
    {
        var bundles = new List<X509Bundle>(inner.Bundles);
        foreach (var (trustDomain, trusted) in federated)
        {
            if (inner.GetX509Bundle(trustDomain) is null)
            {
                bundles.Add(trusted.X509);
            }
            else if (_shadowReported.TryAdd(trustDomain, 0))
            {
                FederationLog.BundleShadowed(_logger, trustDomain.Name);
            }
        }

        return new X509BundleSet(bundles);
    }

    private sealed record Composed(X509Selection Inner, FrozenDictionary<TrustDomain, FederatedBundleSource.Trusted> Federated, X509Selection Outer);
}
