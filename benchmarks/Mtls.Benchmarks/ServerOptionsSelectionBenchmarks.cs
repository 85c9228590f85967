using System.Net.Security;
using System.Security.Authentication;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging.Abstractions;
using Mtls.Authorization;
using Mtls.AspNetCore.Kestrel;
using Mtls.Bundles;
using Mtls.Sources;
using Mtls.Testing.Certificates;
using Mtls.Tls;

namespace Mtls.Benchmarks;

/// <summary>
/// Choosing the server certificate for one handshake: what Kestrel's <c>TlsHandshakeCallbackOptions.OnConnection</c>
/// runs on a <c>UseSpiffeMtls()</c> endpoint (read the options the cache built for the current SVID), against
/// returning a static pre-built <see cref="SslServerAuthenticationOptions"/>. Goal: 0 bytes per selection.
/// </summary>
[MemoryDiagnoser]
public class ServerOptionsSelectionBenchmarks
{
    private static readonly SslServerAuthenticationOptions StaticOptions = new()
    {
        ClientCertificateRequired = true,
        EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
    };

    private TestCertificateAuthority _ca = null!;
    private InMemoryX509Source _source = null!;
    private SpiffeTlsServer _server = null!;
    private SpiffeListenOptionsExtensions.EndpointState _endpoint = null!;

    [GlobalSetup]
    public void Setup()
    {
        _ca = TestCertificateAuthority.Create("example.org");
        _source = new InMemoryX509Source(_ca.IssueSvid("spiffe://example.org/server"), new X509BundleSet([_ca.CreateBundle()]));
        _server = new SpiffeTlsServer(
            _source,
            Authorizer.MemberOf("example.org"),
            new SpiffeTlsOptions { ApplicationProtocols = [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11] });
        _endpoint = new SpiffeListenOptionsExtensions.EndpointState { Server = _server };
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _server.Dispose();
        _source.Dispose();
        _ca.Dispose();
    }

    [Benchmark(Baseline = true, Description = "static pre-built options")]
    public ValueTask<SslServerAuthenticationOptions> StaticSelection() => ValueTask.FromResult(StaticOptions);

    [Benchmark(Description = "UseSpiffeMtls endpoint OnConnection")]
    public ValueTask<SslServerAuthenticationOptions> EndpointSelection() => _endpoint.SelectOptions();
}
