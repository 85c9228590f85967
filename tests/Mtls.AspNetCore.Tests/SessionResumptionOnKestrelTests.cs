using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Mtls.AspNetCore.Tests.Infrastructure;
using Mtls.Authorization;
using Mtls.Bundles;
using Mtls.Http;
using Mtls.Sources;
using Mtls.Testing.Certificates;
using Mtls.Tls;

namespace Mtls.AspNetCore.Tests;

/// <summary>
/// Kestrel endpoints resume TLS sessions of Mtls's own client, and a resumed connection is checked before any request
/// is served exactly like a full one. The endpoint reports whether its connection's peer was verified with a chain from
/// memory, which is what a resumed session looks like to the server.
/// </summary>
public sealed class SessionResumptionOnKestrelTests : IDisposable
{
    private readonly TestCertificateAuthority _ca = TestCertificateAuthority.Create("example.org");
    private readonly TestCertificateAuthority _clientCa = TestCertificateAuthority.Create("example.org");
    private readonly InMemoryX509Source _serverSource;
    private readonly InMemoryX509Source _clientSource;

    public SessionResumptionOnKestrelTests()
    {
        _serverSource = new InMemoryX509Source(_ca.IssueSvid(TestPki.ServerId), BothCas());
        _clientSource = new InMemoryX509Source(_clientCa.IssueSvid(TestPki.ClientId), BothCas());
    }

    [Fact]
    public async Task New_connections_resume_and_a_resumed_client_whose_ca_was_removed_is_refused_before_any_request()
    {
        await using var server = await MtlsTestServer.StartAsync(
            _serverSource,
            o => o.HandshakeAuthorizer = Authorizer.Id(TestPki.ClientId),
            map: app => app.MapGet("/resumed", (HttpContext context) =>
                VerifiedPeer.Of(context.Features.Get<ISslStreamFeature>()?.SslStream)?.ChainFromMemory == true ? "resumed" : "full"));
        using var client = new HttpClient(SpiffeHttpHandlerFactory.Create(_clientSource, Authorizer.Id(TestPki.ServerId)));

        var answers = new List<string>();
        for (int i = 0; i < 4; i++)
        {
            answers.Add(await GetOnNewConnectionAsync(client, server.BaseAddress));
        }

        Assert.Equal(["full", "resumed", "resumed", "resumed"], answers);

        int served = server.Invocations;
        _serverSource.Update(_serverSource.GetX509Svid(), new X509BundleSet([_ca.CreateBundle()]));

        await Assert.ThrowsAnyAsync<HttpRequestException>(() => GetOnNewConnectionAsync(client, server.BaseAddress));
        Assert.Equal(served, server.Invocations);
    }

    public void Dispose()
    {
        _serverSource.Dispose();
        _clientSource.Dispose();
        _ca.Dispose();
        _clientCa.Dispose();
    }

    /// <summary>
    /// A request on a new connection, to "localhost": .NET's client caches TLS sessions by host name and keeps none for
    /// an IP literal such as the server's bound 127.0.0.1.
    /// </summary>
    private static async Task<string> GetOnNewConnectionAsync(HttpClient client, Uri baseAddress)
    {
        var uri = new UriBuilder(baseAddress) { Host = "localhost", Path = "/resumed" }.Uri;
        using var request = new HttpRequestMessage(HttpMethod.Get, uri) { Version = System.Net.HttpVersion.Version11 };
        request.Headers.ConnectionClose = true;
        using var response = await client.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadAsStringAsync();
    }

    private X509BundleSet BothCas() =>
        new([_ca.CreateBundle().WithAuthority(X509CertificateLoader.LoadCertificate(_clientCa.Root.RawData))]);
}
