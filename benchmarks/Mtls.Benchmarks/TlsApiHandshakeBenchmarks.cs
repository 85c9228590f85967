using System.Net.Security;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using Mtls.Bundles;
using Mtls.Testing.Certificates;
using Mtls.Tls;

namespace Mtls.Benchmarks;

/// <summary>
/// What one mutual TLS handshake over loopback (and a byte each way) costs through the public TLS API
/// (<see cref="SpiffeTlsServer.AuthenticateAsync"/> and
/// <see cref="SpiffeTlsClient.AuthenticateAsync(Stream, string, CancellationToken)"/>: timeout, typed errors, peer
/// confirmation) against the integrations' path, where Kestrel and HttpClient's connect callback run an
/// <see cref="SslStream"/> on the same objects' cached options, in the same run (goal: ratio 1.00 within noise). The
/// third row runs the options published for other code, which never resume a session: what resumption saves.
/// </summary>
[MemoryDiagnoser]
public class TlsApiHandshakeBenchmarks
{
    private TestCertificateAuthority _ca = null!;
    private LoopbackTlsPair _pair = null!;

    [GlobalSetup]
    public void Setup()
    {
        _ca = TestCertificateAuthority.Create("example.org");
        _pair = new LoopbackTlsPair(_ca, new X509BundleSet([_ca.CreateBundle()]));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _pair.Dispose();
        _ca.Dispose();
    }

    [Benchmark(Baseline = true, Description = "SslStream on the integrations' options (Kestrel, HttpClient)")]
    public Task IntegrationOptions() => HandshakeAsync(
        _pair.Server.Current!,
        _pair.Client.GetSnapshot().GetOptions("example.org", ClientAlpn.Http11, resumable: true));

    [Benchmark(Description = "public API AuthenticateAsync on both sides")]
    public Task PublicApi() => _pair.HandshakeAsync();

    [Benchmark(Description = "SslStream on the published options (never resume)")]
    public Task PublishedOptions() => HandshakeAsync(_pair.Server.GetAuthenticationOptions(), _pair.Client.GetAuthenticationOptions("example.org"));

    private async Task HandshakeAsync(SslServerAuthenticationOptions serverOptions, SslClientAuthenticationOptions clientOptions)
    {
        var (serverSocket, clientSocket) = await _pair.ConnectAsync();
        await using var serverStream = new SslStream(new NetworkStream(serverSocket, ownsSocket: true));
        await using var clientStream = new SslStream(new NetworkStream(clientSocket, ownsSocket: true));
        var serverHandshake = serverStream.AuthenticateAsServerAsync(serverOptions);
        await clientStream.AuthenticateAsClientAsync(clientOptions);
        await serverHandshake;
        await LoopbackTlsPair.RoundTripAsync(clientStream, serverStream);
    }
}
