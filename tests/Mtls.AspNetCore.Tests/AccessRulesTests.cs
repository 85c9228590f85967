using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
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

    [Theory]
    [InlineData("/api/secret/")]
    [InlineData("/API/Secret")]
    [InlineData("//api/secret")]
    [InlineData("/api/secret/.")]
    [InlineData("/x/../api/secret")]
    [InlineData("/api/%73ecret")]
    [InlineData("/api/secret%2F")]
    [InlineData("/api/secret%5C")]
    [InlineData("/api/secret\\")]
    [InlineData("/api/%2573ecret")]
    public async Task Exact_deny_is_not_bypassed_by_another_spelling_of_its_path(string target)
    {
        await using var server = await StartAsync(new()
        {
            ["Spiffe:Authorization:Rules:0:Name"] = "deny-secret",
            ["Spiffe:Authorization:Rules:0:Action"] = "Deny",
            ["Spiffe:Authorization:Rules:0:Paths:0"] = "/api/secret",
        });
        var certificate = TestPki.ToClientCertificate(_pki.Ca.Issue(TestPki.ClientId));

        var control = await RawHttpsClient.GetAsync(server.BaseAddress, certificate, _pki.Bundles(), "/api/hello");
        var attack = await RawHttpsClient.GetAsync(server.BaseAddress, certificate, _pki.Bundles(), target);

        Assert.Equal(HttpStatusCode.OK, control);
        Assert.Contains(attack, new[] { HttpStatusCode.Forbidden, HttpStatusCode.BadRequest });
        Assert.Equal(1, server.Invocations);
    }

    [Fact]
    public async Task Deny_not_principals_any_refuses_a_request_without_mtls()
    {
        int plain = Composition.CompositionHost.FreePort();
        await using var server = await MtlsTestServer.StartAsync(
            _source,
            options => options.ExemptPort(plain, "plaintext-callers"),
            new Dictionary<string, string?>
            {
                ["Spiffe:Authorization:Rules:0:Name"] = "require-mtls",
                ["Spiffe:Authorization:Rules:0:Action"] = "Deny",
                ["Spiffe:Authorization:Rules:0:NotPrincipals:0"] = "*",
            },
            builder => builder.WebHost.UseUrls($"http://127.0.0.1:{plain}"));
        using var plaintext = new HttpClient { BaseAddress = server.BaseAddress };

        var response = await plaintext.GetAsync("/api/hello");

        Assert.Equal("http", server.BaseAddress.Scheme);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(0, server.Invocations);
        var denied = Assert.Single(server.Logs.WithEvent("SpiffeRuleDenied"));
        Assert.Equal("(none)", denied["PeerSpiffeId"]);
        Assert.Equal("require-mtls", denied["Rule"]);
    }

    [Fact]
    public async Task Trust_domain_principal_fails_startup_with_the_pattern_to_write_instead()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => StartAsync(new()
        {
            ["Spiffe:Authorization:Rules:0:Action"] = "Deny",
            ["Spiffe:Authorization:Rules:0:NotPrincipals:0"] = "spiffe://example.org",
        }));

        Assert.Equal(
            "Spiffe:Authorization:Rules:0: notPrincipal 'spiffe://example.org' is a trust domain ID, which no peer presents: write 'spiffe://example.org/**' for every ID of trust domain example.org",
            Assert.Single(error.Failures));
    }

    [Fact]
    public async Task Changing_a_rule_from_audit_to_allow_takes_effect_without_a_restart()
    {
        await using var server = await StartAsync(new()
        {
            ["Spiffe:Authorization:Rules:0:Name"] = "web-only",
            ["Spiffe:Authorization:Rules:0:Action"] = "Audit",
            ["Spiffe:Authorization:Rules:0:Principals:0"] = "spiffe://example.org/ns/*/sa/web",
        });
        using var client = Client(server, TestPki.ClientId);
        using var web = Client(server, "spiffe://example.org/ns/prod/sa/web");
        Assert.Equal(HttpStatusCode.OK, (await client.Http.GetAsync("/api/hello")).StatusCode);

        Reload(server, "Spiffe:Authorization:Rules:0:Action", "Allow");
        var client2 = await client.Http.GetAsync("/api/hello");
        var web2 = await web.Http.GetAsync("/api/hello");

        Assert.Equal(HttpStatusCode.Forbidden, client2.StatusCode);
        Assert.Equal(HttpStatusCode.OK, web2.StatusCode);
        Assert.Equal(2, server.Invocations);
        Assert.Single(server.Logs.WithEvent("SpiffeRulesReloaded"));
    }

    [Fact]
    public async Task Invalid_reload_is_logged_with_its_key_and_the_last_good_rules_stay()
    {
        await using var server = await StartAsync(new()
        {
            ["Spiffe:Authorization:Rules:0:Name"] = "web-only",
            ["Spiffe:Authorization:Rules:0:Action"] = "Allow",
            ["Spiffe:Authorization:Rules:0:Principals:0"] = "spiffe://example.org/ns/*/sa/web",
        });
        using var client = Client(server, TestPki.ClientId);
        using var web = Client(server, "spiffe://example.org/ns/prod/sa/web");

        Reload(server, "Spiffe:Authorization:Rules:0:Principals:0", "web");
        var clientAfter = await client.Http.GetAsync("/api/hello");
        var webAfter = await web.Http.GetAsync("/api/hello");

        Assert.Equal(HttpStatusCode.Forbidden, clientAfter.StatusCode);
        Assert.Equal(HttpStatusCode.OK, webAfter.StatusCode);
        Assert.Equal(1, server.Invocations);
        Assert.Contains(
            "Spiffe:Authorization:Rules:0: principal 'web' is not a SPIFFE ID",
            Assert.Single(server.Logs.WithEvent("SpiffeRulesReloadRejected"))["Failure"],
            StringComparison.Ordinal);
        Assert.Empty(server.Logs.WithEvent("SpiffeRulesReloaded"));
    }

    public void Dispose()
    {
        _source.Dispose();
        _serverSvid.Dispose();
        _pki.Dispose();
    }

    private Task<MtlsTestServer> StartAsync(Dictionary<string, string?> configuration) =>
        MtlsTestServer.StartAsync(_source, configuration: configuration);

    /// <summary>
    /// Changes one configuration value and reloads, as a changed file or ConfigMap would; the reload runs the change
    /// callbacks synchronously, so the new rules are in force when this returns.
    /// </summary>
    private static void Reload(MtlsTestServer server, string key, string value)
    {
        var configuration = (IConfigurationRoot)server.Services.GetRequiredService<IConfiguration>();
        configuration[key] = value;

        // An invalid value also makes the options monitor's own change callback throw out of Reload; that is the
        // monitor's behaviour, not what these tests check.
        _ = Record.Exception(configuration.Reload);
    }

    private TestClient Client(MtlsTestServer server, string id) =>
        new(server.BaseAddress, TestPki.ToClientCertificate(_pki.Ca.Issue(id)), _pki.Bundles());
}
