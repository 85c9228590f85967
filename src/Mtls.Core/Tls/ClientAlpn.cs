using System.Net.Security;

namespace Mtls.Tls;

/// <summary>The ALPN protocol lists a client offers, as SocketsHttpHandler would for a request; shared instances, so they key caches.</summary>
internal static class ClientAlpn
{
    /// <summary>No ALPN (HTTP/1.1).</summary>
    internal static readonly IReadOnlyList<SslApplicationProtocol> Http11 = [];

    /// <summary><c>h2</c>, falling back to <c>http/1.1</c>.</summary>
    internal static readonly IReadOnlyList<SslApplicationProtocol> Http2OrHttp11 = [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11];

    /// <summary><c>h2</c> only (gRPC, or a request with an exact HTTP/2 version policy).</summary>
    internal static readonly IReadOnlyList<SslApplicationProtocol> Http2Only = [SslApplicationProtocol.Http2];
}
