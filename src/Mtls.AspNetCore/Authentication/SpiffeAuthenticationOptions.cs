using Microsoft.AspNetCore.Authentication;

namespace Mtls.AspNetCore.Authentication;

/// <summary>Options of the <c>Spiffe</c> authentication scheme (<c>AddAuthentication().AddSpiffe(...)</c>).</summary>
public sealed class SpiffeAuthenticationOptions : AuthenticationSchemeOptions
{
    /// <summary>Creates the options with default events.</summary>
    public SpiffeAuthenticationOptions() => Events = new SpiffeAuthenticationEvents();

    /// <summary>The events the handler raises, e.g. <see cref="SpiffeAuthenticationEvents.OnValidated"/> for claim mapping.</summary>
    public new SpiffeAuthenticationEvents Events
    {
        get => (SpiffeAuthenticationEvents)base.Events!;
        set => base.Events = value;
    }
}
