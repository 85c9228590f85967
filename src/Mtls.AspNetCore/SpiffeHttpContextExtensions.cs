using Microsoft.AspNetCore.Http;
using Mtls.Identity;

namespace Mtls.AspNetCore;

/// <summary>Reads the verified peer of a request.</summary>
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
}
