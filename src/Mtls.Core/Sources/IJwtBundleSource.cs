using Mtls.Bundles;
using Mtls.Identity;

namespace Mtls.Sources;

/// <summary>Supplies the JWT bundle of a trust domain (go-spiffe's <c>jwtbundle.Source</c>).</summary>
public interface IJwtBundleSource
{
    /// <summary>The bundle of <paramref name="trustDomain"/>, or null when that trust domain is not trusted.</summary>
    JwtBundle? GetJwtBundle(TrustDomain trustDomain);
}
