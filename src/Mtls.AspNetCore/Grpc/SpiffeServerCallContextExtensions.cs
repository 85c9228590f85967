using Grpc.Core;
using Mtls.Identity;

namespace Mtls.AspNetCore.Grpc;

/// <summary>The verified SPIFFE peer of a gRPC call (grpc-dotnet's <c>AuthContext</c> never shows URI SANs).</summary>
public static class SpiffeServerCallContextExtensions
{
    /// <summary>The SPIFFE ID the TLS handshake verified for the caller, or null on a connection without SPIFFE mTLS.</summary>
    public static SpiffeId? GetPeerSpiffeId(this ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.GetHttpContext().GetPeerSpiffeId();
    }
}
