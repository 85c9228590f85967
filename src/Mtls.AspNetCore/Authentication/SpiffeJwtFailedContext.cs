using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Mtls.Jwt;

namespace Mtls.AspNetCore.Authentication;

/// <summary>The context of <see cref="SpiffeJwtAuthenticationEvents.OnFailed"/>: why a token was refused.</summary>
public sealed class SpiffeJwtFailedContext : BaseContext<SpiffeJwtAuthenticationOptions>
{
    /// <summary>Creates the context.</summary>
    public SpiffeJwtFailedContext(HttpContext context, AuthenticationScheme scheme, SpiffeJwtAuthenticationOptions options, JwtSvidRule rule)
        : base(context, scheme, options) =>
        Rule = rule;

    /// <summary>The rule the token broke (<see cref="JwtSvidRule.Malformed"/> also for an unusable <c>Authorization</c> header).</summary>
    public JwtSvidRule Rule { get; }
}
