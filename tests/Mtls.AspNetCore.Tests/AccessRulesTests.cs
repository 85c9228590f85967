using System.Net;
using Mtls.AspNetCore.Tests.Infrastructure;
using Mtls.Sources;
using Mtls.X509;

namespace Mtls.AspNetCore.Tests;

/// <summary>The declarative rules of <c>Spiffe:Authorization</c>, bound from configuration, on real requests.</summary>
public sealed class AccessRulesTests : IDisposable
{
    private readonly TestPki _pki = new();
    private readonly X509Svid _serverSvid;
    private readonly InMemoryX509Source _source;

    public AccessRulesTests()
    {
        _serverSvid = _pki.Ca.IssueSvid(TestPki.ServerId);
        _source = new InMemoryX509Source(_serverSvid, _pki.Bundles());
    }

    [Fact]
    public async Task Deny_rule_beats_an_allow_rule_that_matches_too()
    {
        await using var server = await StartAsync(new()
        {
            ["Spiffe:Authorization:Rules:0:Name"] = "allow-all-peers",
            ["Spiffe:Authorization:Rules:0:Action"] = "ALLOW",
            ["Spiffe:Authorization:Rules:0:Principals:0"] = "*",
            ["Spiffe:Authorization:Rules:1:Name"] = "deny-client-secret",
            ["Spiffe:Authorization:Rules:1:Action"] = "DENY",
            ["Spiffe:Authorization:Rules:1:Principals:0"] = TestPki.ClientId,
            ["Spiffe:Authorization:Rules:1:Paths:0"] = "*/secret",
        });
        using var client = Client(server, TestPki.ClientId);

        var hello = await client.Http.GetAsync("/api/hello");
        var secret = await client.Http.GetAsync("/API/Secret");

        Assert.Equal(HttpStatusCode.OK, hello.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, secret.StatusCode);
        Assert.Empty(await secret.Content.ReadAsByteArrayAsync());
        Assert.Equal(1, server.Invocations);
        var denied = Assert.Single(server.Logs.WithEvent("SpiffeRuleDenied"));
        Assert.Equal(TestPki.ClientId, denied["PeerSpiffeId"]);
        Assert.Equal("/API/Secret", denied["Route"]);
        Assert.Equal("deny-client-secret", denied["Rule"]);
    }

    [Fact]
    public async Task Once_an_allow_rule_exists_what_no_allow_rule_matches_is_denied()
    {
        await using var server = await StartAsync(new()
        {
            ["Spiffe:Authorization:Rules:0:Name"] = "web-reads-api",
            ["Spiffe:Authorization:Rules:0:Action"] = "Allow",
            ["Spiffe:Authorization:Rules:0:Principals:0"] = "spiffe://example.org/ns/*/sa/web",
            ["Spiffe:Authorization:Rules:0:Paths:0"] = "/api/*",
            ["Spiffe:Authorization:Rules:0:Methods:0"] = "GET",
        });
        using var web = Client(server, "spiffe://example.org/ns/prod/sa/web");
        using var other = Client(server, TestPki.ClientId);

        var allowed = await web.Http.GetAsync("/api/hello");
        var wrongMethod = await web.Http.PostAsync("/api/hello", null);
        var wrongPeer = await other.Http.GetAsync("/api/hello");

        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, wrongMethod.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, wrongPeer.StatusCode);
        Assert.Equal(1, server.Invocations);
        Assert.All(server.Logs.WithEvent("SpiffeRuleDenied"), e => Assert.Equal("default-deny", e["Rule"]));
    }

    [Fact]
    public async Task Audit_rule_logs_what_was_decided_without_changing_it()
    {
        await using var server = await StartAsync(new()
        {
            ["Spiffe:Authorization:Rules:0:Name"] = "audit-api",
            ["Spiffe:Authorization:Rules:0:Action"] = "Audit",
            ["Spiffe:Authorization:Rules:0:Paths:0"] = "/api/*",
        });
        using var client = Client(server, TestPki.ClientId);

        var response = await client.Http.GetAsync("/api/hello");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, server.Invocations);
        var audit = Assert.Single(server.Logs.WithEvent("SpiffeRuleAudit"));
        Assert.Equal(TestPki.ClientId, audit["PeerSpiffeId"]);
        Assert.Equal("audit-api", audit["AuditRule"]);
        Assert.Equal("allow", audit["Decision"]);
        Assert.Equal("default-allow", audit["Rule"]);
        Assert.Empty(server.Logs.WithEvent("SpiffeRuleDenied"));
    }

    public void Dispose()
    {
        _source.Dispose();
        _serverSvid.Dispose();
        _pki.Dispose();
    }

    private Task<MtlsTestServer> StartAsync(Dictionary<string, string?> configuration) =>
        MtlsTestServer.StartAsync(_source, configuration: configuration);

    private TestClient Client(MtlsTestServer server, string id) =>
        new(server.BaseAddress, TestPki.ToClientCertificate(_pki.Ca.Issue(id)), _pki.Bundles());
}
