using Mtls.Bundles;
using Mtls.Identity;

namespace Mtls.Sources;

/// <summary>Supplies the X.509 bundle of a trust domain (go-spiffe's <c>x509bundle.Source</c>).</summary>
public interface IX509BundleSource
{
    /// <summary>The bundle of <paramref name="trustDomain"/>, or null when that trust domain is not trusted.</summary>
    X509Bundle? GetX509Bundle(TrustDomain trustDomain);
}
