namespace Mtls.Http;

/// <summary>Connection settings of an mTLS <see cref="System.Net.Http.HttpClient"/> or gRPC channel.</summary>
public sealed class SpiffeHttpClientOptions
{
    /// <summary>
    /// How long a pooled connection is reused before a new one (with a new handshake and the SVID current then)
    /// replaces it. TLS never re-checks certificates on an open connection, so this bounds how long a connection
    /// keeps presenting an SVID after a rotation, and keeps trusting a server after a bundle change. Keep it well
    /// below the SVID lifetime. Default 2 minutes; <see cref="TimeSpan.Zero"/> disables reuse.
    /// </summary>
    public TimeSpan PooledConnectionLifetime { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Limit for TCP connect plus TLS handshake. Default 10 seconds.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);
}
