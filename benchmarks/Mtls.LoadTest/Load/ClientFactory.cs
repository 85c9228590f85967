using System.Net;
using System.Net.Security;

using Mtls.LoadTest.Servers;

namespace Mtls.LoadTest.Load;

/// <summary>How each scenario's client sends one request, for a protocol and a connection mode.</summary>
internal static class ClientFactory
{
    /// <summary>
    /// Creates the per-request send function over one shared handler; dispose the returned handle after the run.
    /// New-connection mode sends <c>Connection: close</c> on HTTP/1.1; HTTP/2 has no such header, so there the
    /// handler is built with a zero pooled-connection lifetime, which retires each connection after its request.
    /// </summary>
    internal static (Func<CancellationToken, Task<bool>> Send, IDisposable Handle) Create(
        Func<bool, HttpMessageHandler> newHandler,
        Uri uri,
        bool http2,
        bool newConnectionPerRequest)
    {
        var version = http2 ? HttpVersion.Version20 : HttpVersion.Version11;
        var shared = new HttpMessageInvoker(newHandler(newConnectionPerRequest && http2), disposeHandler: true);
        return (ct => SendAsync(shared, uri, version, newConnectionPerRequest && !http2, ct), shared);
    }

    /// <summary>
    /// Handlers with static certificates and a custom-root chain policy, and no SPIFFE logic. The certificate context
    /// and policy are built once, so a handler per request (HTTP/2 new-connection mode) costs what Kestrel's would.
    /// </summary>
    internal static Func<bool, HttpMessageHandler> RawMutualTls(string directory)
    {
        var certificates = StaticCertificates.Load(directory);
        var policy = certificates.Policy;
        var context = SslStreamCertificateContext.Create(certificates.Leaf, certificates.Intermediates, offline: true);
        return retireConnections => new SocketsHttpHandler
        {
            UseProxy = false,
            PooledConnectionLifetime = retireConnections ? TimeSpan.Zero : Timeout.InfiniteTimeSpan,
            SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificateContext = context,
                CertificateChainPolicy = policy,
                RemoteCertificateValidationCallback = (_, _, _, errors) => (errors & ~SslPolicyErrors.RemoteCertificateNameMismatch) == SslPolicyErrors.None,
            },
        };
    }

    internal static HttpMessageHandler Plain(bool retireConnections) => new SocketsHttpHandler
    {
        UseProxy = false,
        PooledConnectionLifetime = retireConnections ? TimeSpan.Zero : Timeout.InfiniteTimeSpan,
    };

    private static async Task<bool> SendAsync(HttpMessageInvoker invoker, Uri uri, Version version, bool close, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, uri) { Version = version, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
        if (close)
        {
            request.Headers.ConnectionClose = true;
        }

        using var response = await invoker.SendAsync(request, ct);
        await response.Content.ReadAsByteArrayAsync(ct);
        return response.IsSuccessStatusCode;
    }
}
