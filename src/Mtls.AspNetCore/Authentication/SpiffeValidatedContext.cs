using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Mtls.Identity;

namespace Mtls.AspNetCore.Authentication;

/// <summary>The context of <see cref="SpiffeAuthenticationEvents.OnValidated"/>: the verified peer and its principal.</summary>
public sealed class SpiffeValidatedContext : ResultContext<SpiffeAuthenticationOptions>
{
    /// <summary>Creates the context.</summary>
    public SpiffeValidatedContext(HttpContext context, AuthenticationScheme scheme, SpiffeAuthenticationOptions options, SpiffeId peerId)
        : base(context, scheme, options) =>
        PeerId = peerId ?? throw new ArgumentNullException(nameof(peerId));

    /// <summary>The SPIFFE ID the TLS handshake verified for this connection's peer.</summary>
    public SpiffeId PeerId { get; }
}
