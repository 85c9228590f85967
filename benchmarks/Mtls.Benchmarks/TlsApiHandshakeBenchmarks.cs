using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using Mtls.Authorization;
using Mtls.Bundles;
using Mtls.Sources;
using Mtls.Testing.Certificates;
using Mtls.Tls;

namespace Mtls.Benchmarks;

/// <summary>
/// What one mutual TLS handshake over loopback costs through the public TLS API (<see cref="SpiffeTlsServer.AuthenticateAsync"/>
/// and <see cref="SpiffeTlsClient.AuthenticateAsync(Stream, string, CancellationToken)"/>: timeout, typed errors, peer
/// record) against the integrations' path, where Kestrel and SocketsHttpHandler's connect callback run an
/// <see cref="SslStream"/> on the same cached options (<see cref="SpiffeTlsServer.GetAuthenticationOptions"/>), in the same
/// run. Goal: ratio 1.00 within noise: the public API adds no per-handshake work.
/// </summary>
[MemoryDiagnoser]
public class TlsApiHandshakeBenchmarks
{
    private TestCertificateAuthority _ca = null!;
    private InMemoryX509Source _serverSource = null!;
    private InMemoryX509Source _clientSource = null!;
    private SpiffeTlsServer _server = null!;
    private SpiffeTlsClient _client = null!;
    private TcpListener _listener = null!;
    private IPEndPoint _endPoint = null!;

    [GlobalSetup]
    public void Setup()
    {
        _ca = TestCertificateAuthority.Create("example.org");
        var bundles = new X509BundleSet([_ca.CreateBundle()]);
        _serverSource = new InMemoryX509Source(_ca.IssueSvid("spiffe://example.org/server"), bundles);
        _clientSource = new InMemoryX509Source(_ca.IssueSvid("spiffe://example.org/client"), bundles);
        _server = new SpiffeTlsServer(_serverSource, Authorizer.Id("spiffe://example.org/client"));
        _client = new SpiffeTlsClient(_clientSource, Authorizer.Id("spiffe://example.org/server"));
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _endPoint = (IPEndPoint)_listener.LocalEndpoint;
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

    [Benchmark(Baseline = true, Description = "SslStream on the cached options (Kestrel/HttpClient path)")]
    public async Task CachedOptions()
    {
        var (serverSocket, clientSocket) = await ConnectAsync();
        await using var serverStream = new SslStream(new NetworkStream(serverSocket, ownsSocket: true));
        await using var clientStream = new SslStream(new NetworkStream(clientSocket, ownsSocket: true));
        var serverHandshake = serverStream.AuthenticateAsServerAsync(_server.GetAuthenticationOptions());
        await clientStream.AuthenticateAsClientAsync(_client.GetAuthenticationOptions("example.org"));
        await serverHandshake;
    }

    [Benchmark(Description = "public API AuthenticateAsync on both sides")]
    public async Task PublicApi()
    {
        var (serverSocket, clientSocket) = await ConnectAsync();
        var serverHandshake = _server.AuthenticateAsync(new NetworkStream(serverSocket, ownsSocket: true));
        await using var client = await _client.AuthenticateAsync(new NetworkStream(clientSocket, ownsSocket: true), "example.org");
        await using var server = await serverHandshake;
    }

    private async Task<(Socket Server, Socket Client)> ConnectAsync()
    {
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var accept = _listener.AcceptSocketAsync();
        await client.ConnectAsync(_endPoint);
        return (await accept, client);
    }
}
