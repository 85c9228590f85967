using System.Collections.Concurrent;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Mtls.Bundles;
using Mtls.X509;

namespace Mtls.AspNetCore.Tests.Infrastructure;

/// <summary>
/// A real HttpClient presenting a client certificate (or none) that verifies the server's SVID against the bundle,
/// and records the serial of every server certificate it sees.
/// </summary>
public sealed class TestClient : IDisposable
{
    private readonly ConcurrentQueue<string> _serverSerials = new();

    public TestClient(Uri baseAddress, ClientCertificate? certificate, X509BundleSet trust, string expectedServerId = TestPki.ServerId, bool newConnectionPerRequest = false)
    {
        var verifier = new X509SvidVerifier(trust);
        Handler = new SocketsHttpHandler
        {
            PooledConnectionLifetime = newConnectionPerRequest ? TimeSpan.Zero : Timeout.InfiniteTimeSpan,
            SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificateContext = certificate is null
                    ? null
                    : SslStreamCertificateContext.Create(certificate.Certificate, certificate.Intermediates, offline: true),
                RemoteCertificateValidationCallback = (_, serverCertificate, chain, _) =>
                {
                    if (serverCertificate is not X509Certificate2 leaf)
                    {
                        return false;
                    }

                    _serverSerials.Enqueue(leaf.SerialNumber);
                    return verifier.TryVerify(leaf, chain?.ChainPolicy.ExtraStore, out var id, out _) && id.ToString() == expectedServerId;
                },
            },
        };
        Http = new HttpClient(Handler, disposeHandler: false) { BaseAddress = baseAddress, DefaultRequestVersion = new Version(1, 1) };
    }

    public SocketsHttpHandler Handler { get; }

    public HttpClient Http { get; }

    public IReadOnlyList<string> ServerSerials => [.. _serverSerials];

    public void Dispose()
    {
        Http.Dispose();
        Handler.Dispose();
    }
}
