namespace Mtls.Tls;

/// <summary>Which application protocols a client offers in ALPN, as SocketsHttpHandler would for a request.</summary>
internal enum ClientAlpn
{
    /// <summary>No ALPN (HTTP/1.1).</summary>
    Http11,

    /// <summary><c>h2</c>, falling back to <c>http/1.1</c>.</summary>
    Http2OrHttp11,

    /// <summary><c>h2</c> only (gRPC, or a request with an exact HTTP/2 version policy).</summary>
    Http2Only,
}
