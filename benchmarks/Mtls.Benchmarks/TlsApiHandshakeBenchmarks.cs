using System.Net.Security;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using Mtls.Bundles;
using Mtls.Testing.Certificates;
using Mtls.Tls;

namespace Mtls.Benchmarks;

/// <summary>
/// What one mutual TLS handshake over loopback costs through the public TLS API (<see cref="SpiffeTlsServer.AuthenticateAsync"/>
/// and <see cref="SpiffeTlsClient.AuthenticateAsync(Stream, string, CancellationToken)"/>: timeout, typed errors, peer
/// confirmation, session resumption) against an <see cref="SslStream"/> run on the same objects' published options
/// (<see cref="SpiffeTlsServer.GetAuthenticationOptions"/>, which never resume), in the same run. With resumption off in
/// the process (<c>DOTNET_SYSTEM_NET_SECURITY_DISABLETLSRESUME=1</c>) both run full handshakes and the ratio is what the
/// public API adds per handshake; with it on, the ratio is what resumption saves.
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

    [Benchmark(Baseline = true, Description = "SslStream on the published options")]
    public async Task PublishedOptions()
    {
        var (serverSocket, clientSocket) = await _pair.ConnectAsync();
        await using var serverStream = new SslStream(new NetworkStream(serverSocket, ownsSocket: true));
        await using var clientStream = new SslStream(new NetworkStream(clientSocket, ownsSocket: true));
        var serverHandshake = serverStream.AuthenticateAsServerAsync(_pair.Server.GetAuthenticationOptions());
        await clientStream.AuthenticateAsClientAsync(_pair.Client.GetAuthenticationOptions("example.org"));
        await serverHandshake;
        await LoopbackTlsPair.RoundTripAsync(clientStream, serverStream);
    }

    [Benchmark(Description = "public API AuthenticateAsync on both sides")]
    public Task PublicApi() => _pair.HandshakeAsync();
}
