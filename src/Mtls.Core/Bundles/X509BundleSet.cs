using System.Collections.Frozen;
using Mtls.Identity;
using Mtls.Sources;

namespace Mtls.Bundles;

/// <summary>
/// X.509 bundles keyed by trust domain: the local trust domain's and any federated ones. Immutable. A peer is
/// only ever verified against the bundle of its own trust domain; bundles are never merged.
/// </summary>
public sealed class X509BundleSet : IX509BundleSource
{
    private readonly FrozenDictionary<TrustDomain, X509Bundle> _bundles;

    /// <summary>Creates a set; a later bundle for the same trust domain replaces an earlier one.</summary>
    public X509BundleSet(IEnumerable<X509Bundle> bundles)
    {
        ArgumentNullException.ThrowIfNull(bundles);
        var map = new Dictionary<TrustDomain, X509Bundle>();
        foreach (var bundle in bundles)
        {
            ArgumentNullException.ThrowIfNull(bundle, nameof(bundles));
            map[bundle.TrustDomain] = bundle;
        }

        _bundles = map.ToFrozenDictionary();
    }

    /// <summary>A set with no bundles: trusts nobody.</summary>
    public static X509BundleSet Empty { get; } = new([]);

    /// <summary>The bundles, one per trust domain.</summary>
    public IReadOnlyCollection<X509Bundle> Bundles => _bundles.Values;

    /// <summary>The trust domains that have a bundle.</summary>
    public IReadOnlyCollection<TrustDomain> TrustDomains => _bundles.Keys;

    /// <inheritdoc />
    public X509Bundle? GetX509Bundle(TrustDomain trustDomain)
    {
        ArgumentNullException.ThrowIfNull(trustDomain);
        return _bundles.GetValueOrDefault(trustDomain);
    }

    /// <summary>A set with <paramref name="bundle"/> added or replacing the one of its trust domain.</summary>
    public X509BundleSet With(X509Bundle bundle)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        return new(_bundles.Values.Append(bundle));
    }

    /// <summary>A set without the bundle of <paramref name="trustDomain"/>.</summary>
    public X509BundleSet Without(TrustDomain trustDomain)
    {
        ArgumentNullException.ThrowIfNull(trustDomain);
        return new(_bundles.Values.Where(b => b.TrustDomain != trustDomain));
    }
}
