using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Time.Testing;
using Mtls.Authorization;
using Mtls.Bundles;
using Mtls.Core.Tests.WorkloadApi;
using Mtls.Sources;
using Mtls.Telemetry;
using Mtls.Testing.Certificates;
using Mtls.Tls;

namespace Mtls.Core.Tests.Tls;

/// <summary>
/// Refused server handshakes, driven by real TLS clients over 127.0.0.1: logged at a bounded rate with a count of the
/// rest, and with the peer's certificate text escaped.
/// </summary>
public sealed class RefusedHandshakeLogTests : IDisposable
{
    private const string RefusedEvent = "ServerHandshakeRefused";
    private const string SuppressedEvent = "ServerHandshakeRefusalsSuppressed";
    private readonly TestCertificateAuthority _ca = TestCertificateAuthority.Create("example.org");
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly RecordingLogger _log = new();
    private readonly InMemoryX509Source _source;
    private readonly SpiffeTlsServer _server;
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);

    public RefusedHandshakeLogTests()
    {
        _source = new InMemoryX509Source(_ca.IssueSvid("spiffe://example.org/server"), new X509BundleSet([_ca.CreateBundle()]));
        _server = new SpiffeTlsServer(_source, Authorizer.MemberOf("example.org"), new SpiffeTlsOptions { TimeProvider = _time, LoggerFactory = _log.Factory });
        _listener.Start();
    }

    [Fact]
    public async Task Refused_handshakes_are_logged_at_a_bounded_rate_with_a_count_of_the_rest()
    {
        using var untrusted = ClientCertificate(TestCertificateAuthority.IssueSelfSigned("spiffe://example.org/intruder"));
        int permits = LogRateLimiter.DefaultPermitsPerInterval;
        int attempts = permits + 15;

        for (int i = 0; i < attempts; i++)
        {
            Assert.False(await HandshakeAsync(untrusted));
        }

        Assert.Equal(permits, Count(RefusedEvent));
        Assert.Equal(0, Count(SuppressedEvent));

        _time.Advance(LogRateLimiter.DefaultInterval + TimeSpan.FromSeconds(1));
        Assert.False(await HandshakeAsync(untrusted));

        var summary = await _log.WaitForAsync(SuppressedEvent);
        Assert.Equal(15L, summary.Values["Suppressed"]);
        Assert.Equal("ChainNotTrusted", summary.Values["Outcome"]);
        Assert.Equal(permits + 1, Count(RefusedEvent));
    }

    [Fact]
    public async Task Refusal_log_escapes_control_characters_and_caps_the_peer_certificate_text()
    {
        string forged = "spiffe://example.org/a\nwarn: Login succeeded for admin\u001b[2J\r" + new string('b', 10_000);
        using var hostile = ClientCertificate(_ca.Issue("spiffe://example.org/ignored", new SvidSpec { UriSans = [forged] }));

        Assert.False(await HandshakeAsync(hostile));

        var entry = await _log.WaitForAsync(RefusedEvent);
        string detail = (string)entry.Values["Detail"]!;
        Assert.Equal("InvalidSpiffeId", entry.Values["Outcome"]);
        Assert.Equal("(unverified)", entry.Values["PeerSpiffeId"]);
        Assert.DoesNotContain(entry.Message, char.IsControl);
        Assert.Contains("spiffe://example.org/a\\nwarn: Login succeeded for admin\\u001B[2J\\r", detail, StringComparison.Ordinal);
        Assert.InRange(detail.Length, 1, LogText.DefaultMaxLength + 64);
    }

    public void Dispose()
    {
        _listener.Stop();
        _server.Dispose();
        _source.Dispose();
        _ca.Dispose();
    }

    private int Count(string eventName) => _log.Entries.Count(e => e.EventName == eventName);

    /// <summary>One handshake as a client presenting <paramref name="certificate"/>; true when the server accepted it.</summary>
    private async Task<bool> HandshakeAsync(X509Certificate2 certificate)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        using var clientSocket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var accept = _listener.AcceptSocketAsync(timeout.Token);
        await clientSocket.ConnectAsync((IPEndPoint)_listener.LocalEndpoint, timeout.Token);
        using var serverSocket = await accept;
        await using var serverStream = new SslStream(new NetworkStream(serverSocket, ownsSocket: false));
        await using var clientStream = new SslStream(new NetworkStream(clientSocket, ownsSocket: false));
        var client = clientStream.AuthenticateAsClientAsync(
            new SslClientAuthenticationOptions
            {
                TargetHost = "localhost",
                ClientCertificateContext = SslStreamCertificateContext.Create(certificate, null, offline: true),
                // The server is ours; only its verdict on the client matters here.
                RemoteCertificateValidationCallback = static (_, serverCertificate, _, _) => serverCertificate is not null,
            },
            timeout.Token);
        bool accepted;
        try
        {
            await serverStream.AuthenticateAsServerAsync(_server.GetAuthenticationOptions(), timeout.Token);
            accepted = true;
        }
        catch (System.Security.Authentication.AuthenticationException)
        {
            accepted = false;
        }

        serverSocket.Shutdown(SocketShutdown.Both);
        try
        {
            await client;
        }
        catch (Exception e) when (e is System.Security.Authentication.AuthenticationException or IOException)
        {
            // The client learns of the refusal as a TLS alert or a closed connection, depending on the TLS version.
        }

        return accepted;
    }

    private static X509Certificate2 ClientCertificate(IssuedSvid issued)
    {
        using var leaf = issued.LoadLeaf();
        using var key = ECDsa.Create();
        key.ImportPkcs8PrivateKey(issued.PrivateKeyPkcs8, out _);
        using var withKey = leaf.CopyWithPrivateKey(key);
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }
}
