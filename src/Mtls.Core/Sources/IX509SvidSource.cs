using Mtls.X509;

namespace Mtls.Sources;

/// <summary>Supplies this workload's current X.509-SVID (go-spiffe's <c>x509svid.Source</c>).</summary>
public interface IX509SvidSource
{
    /// <summary>
    /// The SVID this workload presents: the source's one choice among its current SVIDs (hint, trust domain or picker
    /// applied), the same one its TLS servers serve and its TLS clients present. Null when there is none: not yet
    /// received, withdrawn (e.g. the agent answered <c>PermissionDenied</c>, or a file SVID expired), or no SVID fits
    /// the preference. Never a withdrawn SVID.
    /// </summary>
    /// <remarks>
    /// Lifetime: the returned SVID stays usable (certificate, private key, TLS) for as long as the caller holds it, across
    /// any number of rotations, until the source itself is disposed. A rotation never disposes it; once nobody refers to
    /// it the garbage collector releases its native handles. Do not dispose it: the source owns it. Being usable is not
    /// being current: read this again (e.g. on the change token) to follow rotations and withdrawals.
    /// </remarks>
    X509Svid? GetX509Svid();
}
