using Microsoft.AspNetCore.Authentication;

namespace Mtls.AspNetCore.Authentication;

/// <summary>Options of the JWT-SVID authentication scheme (<c>AddAuthentication().AddSpiffeJwt(...)</c>).</summary>
public sealed class SpiffeJwtAuthenticationOptions : AuthenticationSchemeOptions
{
    /// <summary>Creates the options with default events.</summary>
    public SpiffeJwtAuthenticationOptions() => Events = new SpiffeJwtAuthenticationEvents();

    /// <summary>
    /// The audiences this service accepts: a token is valid only when its <c>aud</c> contains at least one. Bound from
    /// <c>Spiffe:Jwt:Audiences</c>, then from the delegate. At least one is required (checked at startup): a service
    /// that accepted any audience would accept every token its callers hold for any other service.
    /// </summary>
    public IList<string> Audiences { get; } = [];

    /// <summary>The events the handler raises: <see cref="SpiffeJwtAuthenticationEvents.OnValidated"/> for claim mapping or refusal.</summary>
    public new SpiffeJwtAuthenticationEvents Events
    {
        get => (SpiffeJwtAuthenticationEvents)base.Events!;
        set => base.Events = value;
    }
}
