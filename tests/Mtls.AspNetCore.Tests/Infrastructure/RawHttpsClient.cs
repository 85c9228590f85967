using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Mtls.Bundles;
using Mtls.X509;

namespace Mtls.AspNetCore.Tests.Infrastructure;

/// <summary>
/// Sends one HTTP/1.1 request over mTLS with the request target written byte for byte, because HttpClient and Uri
/// rewrite dot segments, backslashes and some escapes before anything reaches the wire.
/// </summary>
public static class RawHttpsClient
{
    public static async Task<HttpStatusCode> GetAsync(Uri server, ClientCertificate certificate, X509BundleSet trust, string target)
    {
        using var cancellation = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(server.Host, server.Port, cancellation.Token);
        var verifier = new X509SvidVerifier(trust);
        await using var tls = new SslStream(tcp.GetStream());
        await tls.AuthenticateAsClientAsync(
            new SslClientAuthenticationOptions
            {
                TargetHost = server.Host,
                ClientCertificateContext = SslStreamCertificateContext.Create(certificate.Certificate, certificate.Intermediates, offline: true),
                RemoteCertificateValidationCallback = (_, leaf, chain, _) =>
                    leaf is X509Certificate2 serverLeaf && verifier.TryVerify(serverLeaf, chain?.ChainPolicy.ExtraStore, out _, out _),
            },
            cancellation.Token);

        byte[] request = Encoding.ASCII.GetBytes($"GET {target} HTTP/1.1\r\nHost: {server.Authority}\r\nConnection: close\r\n\r\n");
        await tls.WriteAsync(request, cancellation.Token);
        using var reader = new StreamReader(tls, Encoding.ASCII);
        string statusLine = await reader.ReadLineAsync(cancellation.Token) ?? throw new IOException("the server closed the connection without answering");

        // "HTTP/1.1 403 Forbidden"
        return (HttpStatusCode)int.Parse(statusLine.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
    }
}
