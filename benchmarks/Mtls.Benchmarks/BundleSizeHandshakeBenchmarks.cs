using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging.Abstractions;
using Mtls.Authorization;
using Mtls.Bundles;
using Mtls.Identity;
using Mtls.Sources;
using Mtls.Testing.Certificates;
using Mtls.Tls;
using Mtls.X509;

namespace Mtls.Benchmarks;

/// <summary>
/// What a bundle's size costs per connection: a full mutual TLS handshake over loopback TCP (server options from
/// <see cref="SpiffeTlsServer"/>, client from <see cref="SpiffeTlsClient"/>, both verifying
/// the peer) and <see cref="X509SvidVerifier.Verify"/> alone, with a bundle of one CA against a bundle at
/// <see cref="SpiffeLimits.MaxBundleAuthorities"/>. The padding CAs carry the real root's subject name (only the key
/// identifiers tell them apart), the worst case for an index by name. Goal: the ratio stays a small constant.
/// </summary>
[MemoryDiagnoser]
public class BundleSizeHandshakeBenchmarks
{
    private TestCertificateAuthority _ca = null!;
    private InMemoryX509Source _serverSource = null!;
    private InMemoryX509Source _clientSource = null!;
    private SpiffeTlsServer _server = null!;
    private SpiffeTlsClient _client = null!;
    private TcpListener _listener = null!;
    private IPEndPoint _endPoint = null!;
    private X509SvidVerifier _verifier = null!;
    private System.Security.Cryptography.X509Certificates.X509Certificate2 _leaf = null!;
    private System.Security.Cryptography.X509Certificates.X509Certificate2Collection _intermediates = null!;

    /// <summary>How many CA certificates the trust domain's bundle holds.</summary>
    [Params(1, SpiffeLimits.MaxBundleAuthorities)]
    public int Authorities { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _ca = TestCertificateAuthority.Create("example.org");
        var bundle = _ca.CreateBundle();
        foreach (var extra in _ca.CreateExtraRoots(Authorities - 1, sameSubjectAsRoot: true))
        {
            bundle = bundle.WithAuthority(extra);
        }

        var bundles = new X509BundleSet([bundle]);
        _serverSource = new InMemoryX509Source(_ca.IssueSvid("spiffe://example.org/server"), bundles);
        _clientSource = new InMemoryX509Source(_ca.IssueSvid("spiffe://example.org/client"), bundles);
        _server = new SpiffeTlsServer(_serverSource, Authorizer.MemberOf("example.org"));
        _client = new SpiffeTlsClient(_clientSource, Authorizer.MemberOf("example.org"));
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _endPoint = (IPEndPoint)_listener.LocalEndpoint;

        var issued = _ca.Issue("spiffe://example.org/peer");
        _leaf = issued.LoadLeaf();
        _intermediates = issued.LoadIntermediates();
        _verifier = new X509SvidVerifier(bundles);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _listener.Stop();
        _server.Dispose();
        _serverSource.Dispose();
        _clientSource.Dispose();
        _ca.Dispose();
    }

    [Benchmark(Description = "mTLS handshake over loopback")]
    public async Task Handshake()
    {
        using var clientSocket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var accept = _listener.AcceptSocketAsync();
        await clientSocket.ConnectAsync(_endPoint);
        using var serverSocket = await accept;
        var serverHandshake = _server.AuthenticateAsync(new NetworkStream(serverSocket, ownsSocket: false));
        await using var client = await _client.AuthenticateAsync(new NetworkStream(clientSocket, ownsSocket: false), "example.org");
        await using var server = await serverHandshake;
    }

    [Benchmark(Description = "X509SvidVerifier.Verify")]
    public SpiffeId Verify() => _verifier.Verify(_leaf, _intermediates);
}
