using Microsoft.AspNetCore.Http;
using Mtls.AspNetCore;
using Mtls.Identity;

namespace Gateway;

/// <summary>
/// The original caller's SPIFFE ID, which the gateway passes to backends in <see cref="HeaderName"/>. The gateway
/// always replaces whatever a client sent in that header with the peer it verified; a backend believes the header only
/// on a connection whose verified peer is the gateway, since anyone else could write anything there.
/// </summary>
public static class ForwardedCaller
{
    /// <summary>The header: one SPIFFE ID, the caller the gateway verified.</summary>
    public const string HeaderName = "X-Forwarded-Spiffe-Id";

    /// <summary>
    /// For a backend: the caller the gateway verified, or null when this request's verified peer is not
    /// <paramref name="gateway"/>, or the header is missing, repeated or not a SPIFFE ID.
    /// </summary>
    public static SpiffeId? GetForwardedCaller(this HttpContext context, SpiffeId gateway)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(gateway);
        if (context.GetPeerSpiffeId() != gateway)
        {
            return null;
        }

        var values = context.Request.Headers[HeaderName];
        return values.Count == 1 && SpiffeId.TryParse(values[0], out var caller) ? caller : null;
    }
}
