using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Mtls.Jwt;

namespace Mtls.AspNetCore.Authentication;

/// <summary>The context of <see cref="SpiffeJwtAuthenticationEvents.OnValidated"/>: the validated JWT-SVID and its principal.</summary>
public sealed class SpiffeJwtValidatedContext : ResultContext<SpiffeJwtAuthenticationOptions>
{
    /// <summary>Creates the context.</summary>
    public SpiffeJwtValidatedContext(HttpContext context, AuthenticationScheme scheme, SpiffeJwtAuthenticationOptions options, JwtSvid svid)
        : base(context, scheme, options) =>
        Svid = svid ?? throw new ArgumentNullException(nameof(svid));

    /// <summary>The JWT-SVID, validated against the bundle of its subject's trust domain for an accepted audience.</summary>
    public JwtSvid Svid { get; }
}
