using Mtls.AspNetCore.Tests.Infrastructure;
using Mtls.Sources;
using Mtls.Testing.Certificates;
using Mtls.Testing.Processes;
using Mtls.X509;

namespace Mtls.AspNetCore.Tests;

/// <summary>curl, a TLS client we did not write, with SVID files (the server SVID also carries DNS SAN localhost for curl's host check).</summary>
public sealed class CurlInteropTests : IDisposable
{
    private readonly TestPki _pki = new();
    private readonly X509Svid _serverSvid;
    private readonly InMemoryX509Source _source;
    private readonly DirectoryInfo _files = Directory.CreateTempSubdirectory("mtls-curl-");

    public CurlInteropTests()
    {
        _serverSvid = _pki.Ca.Issue(TestPki.ServerId, new SvidSpec { DnsNames = ["localhost"] }).ToX509Svid();
        _source = new InMemoryX509Source(_serverSvid, _pki.Bundles());
    }

    [Fact]
    public async Task Curl_with_an_allowed_svid_gets_in()
    {
        await using var server = await MtlsTestServer.StartAsync(_source);

        var (exitCode, output) = await CurlAsync(server, _pki.Ca.Issue(TestPki.ClientId), "/api/client-only");

        Assert.Equal(0, exitCode);
        Assert.Equal("client", output);
    }

    [Fact]
    public async Task Curl_with_an_svid_of_an_untrusted_trust_domain_is_refused_at_the_handshake()
    {
        await using var server = await MtlsTestServer.StartAsync(_source);

        var (exitCode, _) = await CurlAsync(server, _pki.Other.Issue("spiffe://other.org/client"), "/api/hello");

        Assert.NotEqual(0, exitCode);
        Assert.Equal(nameof(X509SvidRule.UntrustedTrustDomain), Assert.Single(server.Logs.WithEvent("ServerHandshakeRefused"))["Outcome"]);
        Assert.Equal(0, server.Invocations);
    }

    public void Dispose()
    {
        _source.Dispose();
        _serverSvid.Dispose();
        _pki.Dispose();
        _files.Delete(recursive: true);
    }

    private async Task<(int ExitCode, string Output)> CurlAsync(MtlsTestServer server, IssuedSvid client, string path)
    {
        string cert = Path.Combine(_files.FullName, "svid.pem");
        string key = Path.Combine(_files.FullName, "svid_key.pem");
        string bundle = Path.Combine(_files.FullName, "bundle.pem");
        await File.WriteAllTextAsync(cert, client.CertificatesPem);
        await File.WriteAllTextAsync(key, client.PrivateKeyPem);
        await File.WriteAllTextAsync(bundle, _pki.Ca.CreateBundle().ToPem());
        int port = server.BaseAddress.Port;
        var result = await ExternalCommand.RunAsync(
            "curl",
            ["--silent", "--show-error", "--fail", "--max-time", "20", "--resolve", $"localhost:{port}:127.0.0.1", "--cert", cert, "--key", key, "--cacert", bundle, $"https://localhost:{port}{path}"]);
        return (result.ExitCode, result.Output);
    }
}
