using System.Collections.Frozen;
using Mtls.Identity;
using Mtls.Sources;

namespace Mtls.Bundles;

/// <summary>
/// JWT bundles keyed by trust domain: the local trust domain's and any federated ones. Immutable. A JWT-SVID is only
/// ever validated with the bundle of its <c>sub</c>'s trust domain; bundles are never merged.
/// </summary>
public sealed class JwtBundleSet : IJwtBundleSource
{
    private readonly FrozenDictionary<TrustDomain, JwtBundle> _bundles;

    /// <summary>Creates a set; a later bundle for the same trust domain replaces an earlier one.</summary>
    public JwtBundleSet(IEnumerable<JwtBundle> bundles)
    {
        ArgumentNullException.ThrowIfNull(bundles);
        var map = new Dictionary<TrustDomain, JwtBundle>();
        foreach (var bundle in bundles)
        {
            ArgumentNullException.ThrowIfNull(bundle, nameof(bundles));
            map[bundle.TrustDomain] = bundle;
        }

        _bundles = map.ToFrozenDictionary();
    }

    /// <summary>A set with no bundles: trusts nobody.</summary>
    public static JwtBundleSet Empty { get; } = new([]);

    /// <summary>The bundles, one per trust domain.</summary>
    public IReadOnlyCollection<JwtBundle> Bundles => _bundles.Values;

    /// <summary>The trust domains that have a bundle.</summary>
    public IReadOnlyCollection<TrustDomain> TrustDomains => _bundles.Keys;

    /// <inheritdoc />
    public JwtBundle? GetJwtBundle(TrustDomain trustDomain)
    {
        ArgumentNullException.ThrowIfNull(trustDomain);
        return _bundles.GetValueOrDefault(trustDomain);
    }

    /// <summary>A set with <paramref name="bundle"/> added or replacing the one of its trust domain.</summary>
    public JwtBundleSet With(JwtBundle bundle) => new(_bundles.Values.Append(bundle));

    /// <summary>A set without the bundle of <paramref name="trustDomain"/>.</summary>
    public JwtBundleSet Without(TrustDomain trustDomain) =>
        new(_bundles.Values.Where(b => b.TrustDomain != trustDomain));
}
