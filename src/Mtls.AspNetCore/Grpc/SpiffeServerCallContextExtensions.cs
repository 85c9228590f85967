using Grpc.Core;
using Mtls.AspNetCore.Authentication;
using Mtls.Identity;
using Mtls.Jwt;

namespace Mtls.AspNetCore.Grpc;

/// <summary>The verified SPIFFE identities of a gRPC call: the mTLS peer (grpc-dotnet's <c>AuthContext</c> never shows URI SANs) and the JWT-SVID.</summary>
public static class SpiffeServerCallContextExtensions
{
    /// <summary>The SPIFFE ID the TLS handshake verified for the caller, or null on a connection without SPIFFE mTLS.</summary>
    public static SpiffeId? GetPeerSpiffeId(this ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.GetHttpContext().GetPeerSpiffeId();
    }

    /// <summary>
    /// The JWT-SVID (from the <c>authorization</c> metadata) that the JWT-SVID scheme <paramref name="scheme"/> validated
    /// for this call, or null; see <see cref="SpiffeHttpContextExtensions.GetJwtSvid"/>.
    /// </summary>
    public static JwtSvid? GetJwtSvid(this ServerCallContext context, string scheme = SpiffeJwtAuthenticationDefaults.AuthenticationScheme)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.GetHttpContext().GetJwtSvid(scheme);
    }
}
