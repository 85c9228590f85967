using Mtls.Bundles;
using Mtls.X509;

namespace Mtls.Sources;

/// <summary>
/// An immutable snapshot of a workload's X.509 identity: its SVIDs and the bundles it trusts. Every update from a
/// source is a new snapshot carrying the full state.
/// </summary>
public sealed class X509Context
{
    /// <summary>Creates a snapshot.</summary>
    public X509Context(IReadOnlyList<X509Svid> svids, X509BundleSet bundles)
    {
        ArgumentNullException.ThrowIfNull(svids);
        ArgumentNullException.ThrowIfNull(bundles);
        Svids = svids;
        Bundles = bundles;
    }

    /// <summary>
    /// The workload's SVIDs; the first is the Workload API's default identity. Empty when the identity was withdrawn.
    /// The one the workload presents is the source's <see cref="IX509SvidSource.GetX509Svid"/>, not necessarily the first.
    /// </summary>
    public IReadOnlyList<X509Svid> Svids { get; }

    /// <summary>The trusted bundles: the workload's own trust domain and any federated ones.</summary>
    public X509BundleSet Bundles { get; }

    /// <summary>
    /// The Workload API's default SVID (the first), or null when there is none. Not necessarily the one presented: a hint
    /// or picker may choose another; ask the source's <see cref="IX509SvidSource.GetX509Svid"/> for that.
    /// </summary>
    public X509Svid? DefaultSvid => Svids.Count > 0 ? Svids[0] : null;

    /// <summary>Releases every certificate and key the snapshot holds.</summary>
    internal void Release()
    {
        foreach (var svid in Svids)
        {
            svid.Dispose();
        }

        foreach (var bundle in Bundles.Bundles)
        {
            foreach (var authority in bundle.Authorities)
            {
                authority.Dispose();
            }
        }
    }
}
