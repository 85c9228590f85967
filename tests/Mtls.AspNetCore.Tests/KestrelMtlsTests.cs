using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Mtls.AspNetCore.Kestrel;
using Mtls.AspNetCore.Tests.Infrastructure;
using Mtls.Sources;
using Mtls.Testing.Certificates;
using Mtls.X509;

namespace Mtls.AspNetCore.Tests;

public sealed class KestrelMtlsTests : IDisposable
{
    private readonly TestPki _pki = new();
    private readonly X509Svid _serverSvid;
    private readonly InMemoryX509Source _source;

    public KestrelMtlsTests()
    {
        _serverSvid = _pki.Ca.IssueSvid(TestPki.ServerId);
        _source = new InMemoryX509Source(_serverSvid, _pki.Bundles());
    }

    [Fact]
    public async Task Allowed_peer_gets_200_and_the_handler_sees_its_verified_id()
    {
        await using var server = await MtlsTestServer.StartAsync(_source);
        using var client = new TestClient(server.BaseAddress, Client(TestPki.ClientId), _pki.Bundles());

        var response = await client.Http.GetAsync("/api/client-only");
        string peer = await client.Http.GetStringAsync("/api/hello");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(TestPki.ClientId, peer);
        Assert.Equal(2, server.Invocations);
    }

    [Fact]
    public async Task Peer_with_another_id_gets_a_bare_403_and_the_operator_a_log_line()
    {
        await using var server = await MtlsTestServer.StartAsync(_source);
        using var client = new TestClient(server.BaseAddress, Client("spiffe://example.org/intruder"), _pki.Bundles());

        var response = await client.Http.GetAsync("/api/client-only");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(0, server.Invocations);
        var denied = Assert.Single(server.Logs.WithEvent("SpiffePolicyDenied"));
        Assert.Equal("spiffe://example.org/intruder", denied["PeerSpiffeId"]);
        Assert.Equal("/api/client-only", denied["Route"]);
        Assert.Equal($"id is one of [{TestPki.ClientId}]", denied["Rule"]);
    }

    [Theory]
    [InlineData("/api/trust-domain", "spiffe://example.org/anyone", HttpStatusCode.OK)]
    [InlineData("/api/pattern", "spiffe://example.org/ns/prod/sa/web", HttpStatusCode.OK)]
    [InlineData("/api/pattern", "spiffe://example.org/ns/prod/sa/db", HttpStatusCode.Forbidden)]
    [InlineData("/api/pattern", "spiffe://example.org/ns/prod/extra/sa/web", HttpStatusCode.Forbidden)]
    public async Task Trust_domain_and_pattern_requirements_decide_on_the_verified_id(string path, string clientId, HttpStatusCode expected)
    {
        await using var server = await MtlsTestServer.StartAsync(_source);
        using var client = new TestClient(server.BaseAddress, Client(clientId), _pki.Bundles());

        var response = await client.Http.GetAsync(path);

        Assert.Equal(expected, response.StatusCode);
    }

    [Fact]
    public async Task Spiffe_scheme_turns_the_peer_into_id_trust_domain_and_path_claims()
    {
        await using var server = await MtlsTestServer.StartAsync(_source);
        using var client = new TestClient(server.BaseAddress, Client("spiffe://example.org/ns/prod/sa/web"), _pki.Bundles());

        string claims = await client.Http.GetStringAsync("/api/claims");

        Assert.Contains("spiffe_id=spiffe://example.org/ns/prod/sa/web", claims, StringComparison.Ordinal);
        Assert.Contains("spiffe_trust_domain=example.org", claims, StringComparison.Ordinal);
        Assert.Contains("spiffe_path=/ns/prod/sa/web", claims, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verified_peer_is_not_the_user_of_an_endpoint_whose_policy_does_not_name_the_scheme()
    {
        await using var server = await MtlsTestServer.StartAsync(_source);
        using var client = new TestClient(server.BaseAddress, Client("spiffe://example.org/ns/prod/sa/web"), _pki.Bundles());

        string user = await client.Http.GetStringAsync("/api/user");

        // Not ambient: the peer is still readable from the connection (GetPeerSpiffeId), but it is not the user.
        Assert.Equal(":False:", user);
    }

    [Fact]
    public async Task Every_new_connection_is_mutually_authenticated()
    {
        // runtime#123238: resumed TLS 1.3 sessions lost the client certificate; the server disables resumption.
        await using var server = await MtlsTestServer.StartAsync(_source);
        using var client = new TestClient(server.BaseAddress, Client(TestPki.ClientId), _pki.Bundles(), newConnectionPerRequest: true);

        var peers = new List<string>();
        for (int i = 0; i < 4; i++)
        {
            peers.Add(await client.Http.GetStringAsync("/api/hello"));
        }

        Assert.All(peers, peer => Assert.Equal(TestPki.ClientId, peer));
        Assert.Equal(4, client.ServerSerials.Count);
    }

    [Fact]
    public async Task Refuses_peer_from_a_trust_domain_without_bundle_at_the_handshake()
    {
        await using var server = await MtlsTestServer.StartAsync(_source);

        await AssertRefusedAsync(server, TestPki.ToClientCertificate(_pki.Other.Issue("spiffe://other.org/client")), nameof(X509SvidRule.UntrustedTrustDomain));
    }

    [Fact]
    public async Task Refuses_federated_peer_whose_trust_domain_the_handshake_does_not_admit()
    {
        _source.Update(_serverSvid, _pki.Bundles(withOther: true));
        await using var server = await MtlsTestServer.StartAsync(_source);

        await AssertRefusedAsync(server, TestPki.ToClientCertificate(_pki.Other.Issue("spiffe://other.org/client")), "unauthorized");
    }

    [Fact]
    public async Task Admits_federated_peer_listed_in_authorized_trust_domains()
    {
        _source.Update(_serverSvid, _pki.Bundles(withOther: true));
        await using var server = await MtlsTestServer.StartAsync(_source, o =>
        {
            o.AuthorizedTrustDomains.Add("example.org");
            o.AuthorizedTrustDomains.Add("other.org");
        });
        using var client = new TestClient(server.BaseAddress, TestPki.ToClientCertificate(_pki.Other.Issue("spiffe://other.org/client")), _pki.Bundles());

        string peer = await client.Http.GetStringAsync("/api/hello");

        Assert.Equal("spiffe://other.org/client", peer);
    }

    [Fact]
    public async Task Refuses_self_signed_certificate_carrying_an_allowed_id_at_the_handshake()
    {
        await using var server = await MtlsTestServer.StartAsync(_source);

        await AssertRefusedAsync(server, TestPki.ToClientCertificate(TestCertificateAuthority.IssueSelfSigned(TestPki.ClientId)), nameof(X509SvidRule.ChainNotTrusted));
    }

    [Fact]
    public async Task Refuses_expired_certificate_at_the_handshake()
    {
        await using var server = await MtlsTestServer.StartAsync(_source);
        var now = DateTimeOffset.UtcNow;
        var expired = _pki.Ca.Issue(TestPki.ClientId, new SvidSpec { NotBefore = now.AddHours(-2), NotAfter = now.AddHours(-1) });

        await AssertRefusedAsync(server, TestPki.ToClientCertificate(expired), nameof(X509SvidRule.Expired));
    }

    [Fact]
    public async Task Refuses_ca_certificate_used_as_a_leaf_at_the_handshake()
    {
        await using var server = await MtlsTestServer.StartAsync(_source);
        var ca = _pki.Ca.Issue(TestPki.ClientId, new SvidSpec { IsCa = true, KeyUsage = System.Security.Cryptography.X509Certificates.X509KeyUsageFlags.DigitalSignature });

        await AssertRefusedAsync(server, TestPki.ToClientCertificate(ca), nameof(X509SvidRule.LeafIsCa));
    }

    [Fact]
    public async Task Refuses_client_without_certificate_at_the_handshake()
    {
        await using var server = await MtlsTestServer.StartAsync(_source);

        await AssertRefusedAsync(server, certificate: null, "no_certificate");
    }

    [Fact]
    public async Task Next_connection_sees_the_rotated_server_certificate_without_restart()
    {
        await using var server = await MtlsTestServer.StartAsync(_source);
        using var rotated = _pki.Ca.IssueSvid(TestPki.ServerId);
        using var before = new TestClient(server.BaseAddress, Client(TestPki.ClientId), _pki.Bundles());
        Assert.Equal(TestPki.ClientId, await before.Http.GetStringAsync("/api/hello"));

        _source.Update(rotated, _pki.Bundles());
        using var after = new TestClient(server.BaseAddress, Client(TestPki.ClientId), _pki.Bundles());
        Assert.Equal(TestPki.ClientId, await after.Http.GetStringAsync("/api/hello"));

        Assert.Equal([_serverSvid.Certificate.SerialNumber], before.ServerSerials);
        Assert.Equal([rotated.Certificate.SerialNumber], after.ServerSerials);
        Assert.NotEqual(_serverSvid.Certificate.SerialNumber, rotated.Certificate.SerialNumber);
    }

    [Fact]
    public async Task Handshakes_fail_while_the_source_has_no_svid_and_resume_once_it_has_one()
    {
        await using var server = await MtlsTestServer.StartAsync(_source);
        _source.Update(null, _pki.Bundles());
        using (var during = new TestClient(server.BaseAddress, Client(TestPki.ClientId), _pki.Bundles()))
        {
            await Assert.ThrowsAsync<HttpRequestException>(() => during.Http.GetAsync("/api/hello"));
        }

        Assert.Single(server.Logs.WithEvent("ServerNoSvid"));
        _source.Update(_serverSvid, _pki.Bundles());
        using var after = new TestClient(server.BaseAddress, Client(TestPki.ClientId), _pki.Bundles());
        Assert.Equal(TestPki.ClientId, await after.Http.GetStringAsync("/api/hello"));
    }

    [Fact]
    public async Task With_all_endpoints_off_only_the_endpoint_that_calls_UseSpiffeMtls_speaks_mtls()
    {
        await using var server = await MtlsTestServer.StartAsync(_source, o => o.AllEndpoints = false, configureBuilder: builder =>
        {
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, endpoint =>
            {
                endpoint.UseSpiffeMtls().UseSpiffeMtls();
                endpoint.Protocols = HttpProtocols.Http1AndHttp2;
            }));
        });
        var addresses = server.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
            .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses;
        int mtlsPort = new Uri(Assert.Single(addresses, a => a.StartsWith("https", StringComparison.Ordinal))).Port;
        using var client = new TestClient(new Uri($"https://127.0.0.1:{mtlsPort}"), Client(TestPki.ClientId), _pki.Bundles());

        Assert.Equal(TestPki.ClientId, await client.Http.GetStringAsync("/api/hello"));
    }

    public void Dispose()
    {
        _source.Dispose();
        _serverSvid.Dispose();
        _pki.Dispose();
    }

    private ClientCertificate Client(string id) => TestPki.ToClientCertificate(_pki.Ca.Issue(id));

    private async Task AssertRefusedAsync(MtlsTestServer server, ClientCertificate? certificate, string expectedOutcome)
    {
        using var client = new TestClient(server.BaseAddress, certificate, _pki.Bundles());

        await Assert.ThrowsAsync<HttpRequestException>(() => client.Http.GetAsync("/api/hello"));

        var refusals = server.Logs.WithEvent("ServerHandshakeRefused");
        Assert.NotEmpty(refusals);
        Assert.All(refusals, r => Assert.Equal(expectedOutcome, r["Outcome"]));
        Assert.Equal(0, server.Invocations);
    }
}
