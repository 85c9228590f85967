using Microsoft.AspNetCore.Http;
using Mtls.AspNetCore.Authentication;
using Mtls.Identity;
using Mtls.Jwt;

namespace Mtls.AspNetCore;

/// <summary>Reads the verified identities of a request: the mTLS peer and the JWT-SVID subject.</summary>
public static class SpiffeHttpContextExtensions
{
    /// <summary>
    /// The SPIFFE ID the TLS handshake verified for the peer of this request's connection, or null when the
    /// connection is not SPIFFE mTLS. Reads the Kestrel part's own connection feature (re-checked for this request by
    /// the connection check), never a claim: no certificate is parsed or chain built.
    /// </summary>
    public static SpiffeId? GetPeerSpiffeId(this HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return (context.Features.Get<ISpiffePeerFeature>() as SpiffePeerFeature)?.Id;
    }

    /// <summary>
    /// The JWT-SVID the JWT-SVID scheme <paramref name="scheme"/> validated for this request (its <see cref="JwtSvid.Id"/>
    /// is the original caller, across TLS-terminating proxies), or null when that scheme has not authenticated the
    /// request (a policy or endpoint naming it makes it run) or refused its token. Never read from a claim.
    /// </summary>
    public static JwtSvid? GetJwtSvid(this HttpContext context, string scheme = SpiffeJwtAuthenticationDefaults.AuthenticationScheme)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentException.ThrowIfNullOrWhiteSpace(scheme);
        return SpiffeJwtSubjectFeature.Get(context, scheme);
    }
}
