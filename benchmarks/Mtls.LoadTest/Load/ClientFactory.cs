using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Mtls.LoadTest.Load;

/// <summary>How each scenario's client sends one request, for a protocol and a connection mode.</summary>
internal static class ClientFactory
{
    /// <summary>Creates the per-request send function; dispose the returned handle after the run.</summary>
    internal static (Func<CancellationToken, Task<bool>> Send, IDisposable Handle) Create(
        Func<HttpMessageHandler> newHandler,
        Uri uri,
        bool http2,
        bool newConnectionPerRequest)
    {
        var version = http2 ? HttpVersion.Version20 : HttpVersion.Version11;
        if (newConnectionPerRequest && http2)
        {
            // HTTP/2 has no "Connection: close": a fresh handler per request is the only way to force a handshake.
            return (async ct =>
            {
                using var invoker = new HttpMessageInvoker(newHandler(), disposeHandler: true);
                return await SendAsync(invoker, uri, version, close: false, ct);
            }, new NoHandle());
        }

        var shared = new HttpMessageInvoker(newHandler(), disposeHandler: true);
        return (ct => SendAsync(shared, uri, version, newConnectionPerRequest, ct), shared);
    }

    /// <summary>
    /// Handlers with static certificates and a custom-root chain policy, and no SPIFFE logic. The certificate context
    /// and policy are built once, so a handler per request (HTTP/2 new-connection mode) costs what Kestrel's would.
    /// </summary>
    internal static Func<HttpMessageHandler> RawMutualTls(string directory)
    {
        using var leaf = X509Certificate2.CreateFromPemFile(Path.Combine(directory, "tls.crt"), Path.Combine(directory, "tls.key"));
        var chain = new X509Certificate2Collection();
        chain.ImportFromPemFile(Path.Combine(directory, "tls.crt"));
        var roots = new X509Certificate2Collection();
        roots.ImportFromPemFile(Path.Combine(directory, "ca.crt"));
        var policy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck,
            DisableCertificateDownloads = true,
        };
        policy.CustomTrustStore.AddRange(roots);
        var context = SslStreamCertificateContext.Create(X509CertificateLoader.LoadPkcs12(leaf.Export(X509ContentType.Pkcs12), null), [.. chain.Skip(1)], offline: true);
        return () => new SocketsHttpHandler
        {
            UseProxy = false,
            SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificateContext = context,
                CertificateChainPolicy = policy,
                RemoteCertificateValidationCallback = (_, _, _, errors) => (errors & ~SslPolicyErrors.RemoteCertificateNameMismatch) == SslPolicyErrors.None,
            },
        };
    }

    internal static SocketsHttpHandler Plain() => new() { UseProxy = false };

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

    private sealed class NoHandle : IDisposable
    {
        public void Dispose()
        {
        }
    }
}
