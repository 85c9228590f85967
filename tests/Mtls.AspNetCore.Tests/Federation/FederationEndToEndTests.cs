using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Mtls.AspNetCore.Authorization;
using Mtls.AspNetCore.Tests.Composition;
using Mtls.AspNetCore.Tests.Infrastructure;
using Mtls.Authorization;
using Mtls.Bundles;
using Mtls.Federation;
using Mtls.Hosting;
using Mtls.Identity;
using Mtls.Testing.Certificates;
using Mtls.Testing.Processes;

namespace Mtls.AspNetCore.Tests.Federation;

/// <summary>
/// Two trust domains on one machine, each with its own CA, services and bundle endpoint, federated through
/// <c>Spiffe:Federation</c> only: a.test fetches b.test's bundle over https_web, b.test fetches a.test's over
/// https_spiffe from a.test's mTLS port.
/// </summary>
public sealed class FederationEndToEndTests : IDisposable
{
    private const string OrdersId = "spiffe://a.test/ns/shop/sa/orders";
    private const string InventoryId = "spiffe://b.test/ns/stock/sa/inventory";
    private static readonly TrustDomain B = TrustDomain.Parse("b.test");
    private readonly TestWebPki _web = new();
    private readonly TestCertificateAuthority _a = TestCertificateAuthority.Create("a.test");
    private readonly TestCertificateAuthority _b = TestCertificateAuthority.Create("b.test");

    [Fact]
    public async Task A_service_of_one_trust_domain_calls_a_service_of_another_over_mtls_with_the_fetched_bundle()
    {
        await using var pair = await StartPairAsync();

        Assert.Equal(OrdersId, await pair.A.CallAsync(new Uri(pair.B.Address, "/api/hello"), Authorizer.Id(InventoryId)));
        Assert.Equal(InventoryId, await pair.B.CallAsync(new Uri(pair.A.Address, "/api/hello"), Authorizer.Id(OrdersId)));

        // Requirements and rules read foreign IDs like any other.
        Assert.Equal("from a", await pair.A.CallAsync(new Uri(pair.B.Address, "/api/from-a"), Authorizer.Id(InventoryId)));
        Assert.Equal("orders", await pair.A.CallAsync(new Uri(pair.B.Address, "/api/orders-only"), Authorizer.Id(InventoryId)));
        Assert.Equal("403", await pair.A.CallAsync(new Uri(pair.B.Address, "/admin/hello"), Authorizer.Id(InventoryId)));

        // Each trust domain has its own bundle, and only its own CA.
        var bundles = pair.A.Source.Current!.Bundles;
        Assert.True(bundles.GetX509Bundle(B)!.Contains(_b.Root));
        Assert.False(bundles.GetX509Bundle(B)!.Contains(_a.Root));
        Assert.False(bundles.GetX509Bundle(_a.TrustDomain)!.Contains(_b.Root));
    }

    [Fact]
    public async Task A_ca_rotation_in_the_other_trust_domain_is_followed_without_restart_and_the_removed_root_stops_being_accepted()
    {
        await using var pair = await StartPairAsync();
        using var next = TestCertificateAuthority.Create("b.test");
        var oldSvid = _b.IssueSvid(InventoryId);
        var newSvid = next.IssueSvid(InventoryId);
        var hello = new Uri(pair.B.Address, "/api/hello");

        // 1. B publishes the new root beside the old one; a.test fetches it.
        pair.B.Identity.Update(oldSvid, new X509BundleSet([Both(_b, next)]));
        var overlap = await FederationWait.NextAttemptAsync(pair.A.Federation!, pair.A.Time);
        Assert.Null(overlap.LastError);
        Assert.Equal(OrdersId, await pair.A.CallAsync(hello, Authorizer.Id(InventoryId)));

        // 2. B's services move to SVIDs of the new CA: calls keep working, nobody restarted.
        pair.B.Identity.Update(newSvid, new X509BundleSet([Both(_b, next)]));
        Assert.Equal(OrdersId, await pair.A.CallAsync(hello, Authorizer.Id(InventoryId)));

        // 3. B withdraws the old root; a.test fetches that too.
        pair.B.Identity.Update(newSvid, new X509BundleSet([next.CreateBundle()]));
        var rotated = await FederationWait.NextAttemptAsync(pair.A.Federation!, pair.A.Time);
        Assert.Null(rotated.LastError);
        Assert.True(rotated.Bundle!.SequenceNumber >= overlap.Bundle!.SequenceNumber);
        Assert.Equal(OrdersId, await pair.A.CallAsync(hello, Authorizer.Id(InventoryId)));

        // 4. A server still presenting an SVID of the old CA is refused now.
        pair.B.Identity.Update(oldSvid, new X509BundleSet([next.CreateBundle()]));
        var refused = await Assert.ThrowsAsync<Http.SpiffeAuthorizationException>(() => pair.A.CallAsync(hello, Authorizer.Id(InventoryId)));
        Assert.Contains("chain does not verify against the bundle of the peer's trust domain", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_svid_naming_one_trust_domain_but_signed_by_the_other_trust_domain_s_ca_is_refused_both_ways()
    {
        await using var pair = await StartPairAsync();

        // A server of b.test whose SVID a.test's CA signed (a.test's root is trusted, but not for b.test's IDs).
        pair.B.Identity.Update(_a.IssueSvid(InventoryId), new X509BundleSet([_b.CreateBundle()]));
        var refused = await Assert.ThrowsAsync<Http.SpiffeAuthorizationException>(() => pair.A.CallAsync(new Uri(pair.B.Address, "/api/hello"), Authorizer.Id(InventoryId)));
        Assert.Contains("chain does not verify against the bundle of the peer's trust domain", refused.Message, StringComparison.Ordinal);

        // A client claiming an a.test ID with an SVID b.test's CA signed (b.test's bundle is fetched and trusted, for b.test only).
        using var impostor = new TestClient(pair.A.Address, TestPki.ToClientCertificate(_b.Issue(OrdersId)), new X509BundleSet([_a.CreateBundle()]), OrdersId);
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => impostor.Http.GetAsync("/api/hello"));
        Assert.Contains(pair.A.Logs.WithEvent("ServerHandshakeRefused"), e => e["Outcome"] == "ChainNotTrusted");
    }

    [Fact]
    public async Task The_handshake_admits_the_federated_trust_domains_and_no_other_even_one_whose_bundle_is_trusted()
    {
        using var c = TestCertificateAuthority.Create("c.test");
        var configuration = new Dictionary<string, string?>
        {
            ["Spiffe:Federation:TrustDomains:0:TrustDomain"] = "a.test",
            ["Spiffe:Federation:TrustDomains:0:BundleEndpointUrl"] = "https://127.0.0.1:1/bundle",
            ["Spiffe:Federation:TrustDomains:0:WebRootsFile"] = _web.RootFile,
        };

        // c.test's CA is in the identity source's bundles (as a Workload API may hand it), but c.test is not federated here.
        await using var b = await FederatedService.StartAsync(_b, InventoryId, _web, configuration, bundles: new X509BundleSet([_b.CreateBundle(), c.CreateBundle(), _a.CreateBundle()]));
        using var fromC = new TestClient(b.Address, TestPki.ToClientCertificate(c.Issue("spiffe://c.test/intruder")), new X509BundleSet([_b.CreateBundle()]), InventoryId);
        using var fromA = new TestClient(b.Address, TestPki.ToClientCertificate(_a.Issue(OrdersId)), new X509BundleSet([_b.CreateBundle()]), InventoryId);

        await Assert.ThrowsAnyAsync<HttpRequestException>(() => fromC.Http.GetAsync("/api/hello"));
        Assert.Equal(OrdersId, await fromA.Http.GetStringAsync("/api/hello"));
        Assert.Equal(["b.test", "a.test"], b.Services.GetRequiredService<IOptions<SpiffeMtlsOptions>>().Value.AuthorizedTrustDomains);
    }

    [Fact]
    public async Task A_fetched_bundle_never_replaces_a_bundle_the_identity_source_already_has()
    {
        using var rogue = TestCertificateAuthority.Create("b.test");
        await using var endpoint = await BundleServer.StartAsync(_web.ServerCertificate);
        endpoint.Serve(new SpiffeBundle(B, [rogue.Root], [], 1));
        using var inner = new Sources.InMemoryX509Source(_a.IssueSvid(OrdersId), new X509BundleSet([_a.CreateBundle(), _b.CreateBundle()]));
        await using var federation = new FederatedBundleSource(WebOptions(endpoint.Url), _a.TrustDomain);
        using var source = new FederatedX509Source(inner, federation);

        var status = await FederationWait.FirstAttemptAsync(federation);

        Assert.Null(status.LastError);
        Assert.Same(inner.Current!.Bundles.GetX509Bundle(B), source.Current!.Bundles.GetX509Bundle(B));
        Assert.False(source.GetX509Bundle(B)!.Contains(rogue.Root));
        var local = Assert.Throws<ArgumentException>(() => new FederatedBundleSource(WebOptions(endpoint.Url, "a.test"), _a.TrustDomain));
        Assert.Contains("Spiffe:Federation:TrustDomains:0:TrustDomain 'a.test' is the local trust domain", local.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_federated_source_signals_a_change_and_serves_a_new_snapshot_when_a_fetched_bundle_changes()
    {
        await using var endpoint = await BundleServer.StartAsync(_web.ServerCertificate);
        endpoint.Serve(new SpiffeBundle(B, [_b.Root], [], 1));
        using var inner = new Sources.InMemoryX509Source(_a.IssueSvid(OrdersId), new X509BundleSet([_a.CreateBundle()]));
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var federation = new FederatedBundleSource(WebOptions(endpoint.Url), _a.TrustDomain, time: time);
        using var source = new FederatedX509Source(inner, federation);
        await FederationWait.FirstAttemptAsync(federation);
        var before = source.Current;
        Assert.Same(before, source.Current);
        var token = source.GetChangeToken();

        using var next = TestCertificateAuthority.Create("b.test");
        endpoint.Serve(new SpiffeBundle(B, [_b.Root, next.Root], [], 2));
        await FederationWait.NextAttemptAsync(federation, time);

        Assert.True(token.HasChanged);
        Assert.NotSame(before, source.Current);
        Assert.True(source.GetX509Bundle(B)!.Contains(next.Root));
        Assert.Same(inner.GetX509Svid(), source.GetX509Svid());
    }

    [Fact]
    public async Task Federation_health_reports_no_bundle_then_the_bundle_age_then_degrades_when_a_fetch_fails()
    {
        await using var endpoint = await BundleServer.StartAsync(_web.ServerCertificate);
        await using var a = await FederatedService.StartAsync(_a, OrdersId, _web, Federate(endpoint.Url));
        var health = a.Services.GetRequiredService<HealthCheckService>();
        await FederationWait.FirstAttemptAsync(a.Federation!);
        Assert.Equal(HealthStatus.Unhealthy, (await health.CheckHealthAsync()).Status);

        endpoint.Serve(new SpiffeBundle(B, [_b.Root], [], 3, TimeSpan.FromSeconds(60)));
        await FederationWait.NextAttemptAsync(a.Federation!, a.Time);
        var healthy = (await health.CheckHealthAsync()).Entries["spiffe-federation"];
        Assert.Equal(HealthStatus.Healthy, healthy.Status);
        Assert.Equal(0.0, healthy.Data["b.test.age_seconds"]);
        Assert.Equal("3", healthy.Data["b.test.sequence"]);

        endpoint.Serve("garbage");
        var failed = await FederationWait.NextAttemptAsync(a.Federation!, a.Time);
        var degraded = (await health.CheckHealthAsync()).Entries["spiffe-federation"];
        Assert.Equal(HealthStatus.Degraded, degraded.Status);
        Assert.Equal((failed.LastAttempt!.Value - failed.LastSuccess!.Value).TotalSeconds, degraded.Data["b.test.age_seconds"]);
        Assert.True((double)degraded.Data["b.test.age_seconds"] >= 48);
        Assert.Contains("MalformedJson", (string)degraded.Data["b.test.last_error"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Curl_fetches_the_https_web_bundle_and_it_parses_as_the_spiffe_bundle_format()
    {
        await using var b = await FederatedService.StartAsync(_b, InventoryId, _web, new Dictionary<string, string?>());
        string json = await ExternalCommand.RunToSuccessAsync(
            "curl",
            ["--silent", "--show-error", "--fail", "--max-time", "20", "--cacert", _web.RootFile, b.WebBundleUrl.ToString()]);

        var bundle = SpiffeBundle.Parse(B, json);
        Assert.Equal(_b.Root.RawData, Assert.Single(bundle.X509Authorities).RawData);
        Assert.Equal(TimeSpan.FromSeconds(30), bundle.RefreshHint);
        Assert.NotNull(bundle.SequenceNumber);
        using var document = JsonDocument.Parse(json);
        var key = Assert.Single(document.RootElement.GetProperty("keys").EnumerateArray());
        Assert.Equal("x509-svid", key.GetProperty("use").GetString());
        Assert.Equal("EC", key.GetProperty("kty").GetString());
        Assert.Equal(Convert.ToBase64String(_b.Root.RawData), Assert.Single(key.GetProperty("x5c").EnumerateArray()).GetString());
    }

    [Fact]
    public async Task Jwt_authorities_are_published_with_the_bundle_and_validate_the_other_trust_domain_s_jwt_svids()
    {
        using var issuer = Testing.Jwt.TestJwtIssuer.Create("b.test");
        await using var b = await FederatedService.StartAsync(
            _b, InventoryId, _web, new Dictionary<string, string?>(), services: s => s.AddSingleton<Sources.IJwtBundleSource>(new JwtBundleSet([issuer.Bundle])));
        await using var federation = new FederatedBundleSource(WebOptions(b.WebBundleUrl), _a.TrustDomain);

        var status = await FederationWait.FirstAttemptAsync(federation);

        Assert.Null(status.LastError);
        Assert.Equal(issuer.KeyId, Assert.Single(status.Bundle!.JwtBundle.Authorities).KeyId);
        var svid = new global::Mtls.Jwt.JwtSvidValidator(federation).Validate(issuer.IssueToken(InventoryId, "orders"), "orders");
        Assert.Equal(InventoryId, svid.Id.ToString());
        using var foreign = Testing.Jwt.TestJwtIssuer.Create("b.test");
        Assert.Throws<global::Mtls.Jwt.JwtSvidException>(() => new global::Mtls.Jwt.JwtSvidValidator(federation).Validate(foreign.IssueToken(InventoryId, "orders"), "orders"));
    }

    [Fact]
    public void Federation_requires_the_local_trust_domain()
    {
        var options = new SpiffeX509SourceOptions();
        options.Federation.TrustDomains.Add(new FederatedTrustDomainOptions { TrustDomain = "b.test", BundleEndpointUrl = "https://127.0.0.1:1/bundle" });

        var result = new SpiffeX509SourceOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains("Spiffe:TrustDomain is required with Spiffe:Federation", result.FailureMessage, StringComparison.Ordinal);
    }

    public static TheoryData<string, string, string> InvalidConfigurations => new()
    {
        { "BundleEndpointUrl", "http://127.0.0.1:1/bundle", "Spiffe:Federation:TrustDomains:0:BundleEndpointUrl 'http://127.0.0.1:1/bundle' must be an absolute https:// URL" },
        { "TrustDomain", "B.Test!", "Spiffe:Federation:TrustDomains:0:TrustDomain 'B.Test!' is not a valid trust domain name" },
        { "Profile", "HttpsSpiffe", "Spiffe:Federation:TrustDomains:0:EndpointSpiffeId '' must be the SPIFFE ID the endpoint presents" },
        { "EndpointSpiffeId", "spiffe://b.test/bundle", "Spiffe:Federation:TrustDomains:0:EndpointSpiffeId applies to HttpsSpiffe only" },
        { "InitialBundleFile", "/nonexistent/bundle.json", "Spiffe:Federation:TrustDomains:0:InitialBundleFile '/nonexistent/bundle.json' is not a readable SPIFFE bundle" },
        { "WebRootsFile", "/nonexistent/roots.pem", "Spiffe:Federation:TrustDomains:0:WebRootsFile '/nonexistent/roots.pem' is not a readable PEM file of CA certificates" },
        { "FetchTimeout", "00:00:00", "Spiffe:Federation:FetchTimeout must be positive" },
    };

    [Theory]
    [MemberData(nameof(InvalidConfigurations))]
    public async Task Invalid_federation_configuration_stops_startup_naming_the_key(string key, string value, string message)
    {
        var configuration = new Dictionary<string, string?>(Federate(new Uri("https://127.0.0.1:1/bundle")));
        configuration[key == "FetchTimeout" ? "Spiffe:Federation:FetchTimeout" : $"Spiffe:Federation:TrustDomains:0:{key}"] = value;

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => FederatedService.StartAsync(_a, OrdersId, _web, configuration));

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        _a.Dispose();
        _b.Dispose();
        _web.Dispose();
    }

    private static X509Bundle Both(TestCertificateAuthority first, TestCertificateAuthority second) =>
        first.CreateBundle().WithAuthority(second.Root);

    private Dictionary<string, string?> Federate(Uri url) => new()
    {
        ["Spiffe:Federation:TrustDomains:0:TrustDomain"] = "b.test",
        ["Spiffe:Federation:TrustDomains:0:BundleEndpointUrl"] = url.ToString(),
        ["Spiffe:Federation:TrustDomains:0:WebRootsFile"] = _web.RootFile,
    };

    private SpiffeFederationOptions WebOptions(Uri url, string trustDomain = "b.test") => new()
    {
        TrustDomains = { new FederatedTrustDomainOptions { TrustDomain = trustDomain, BundleEndpointUrl = url.ToString(), WebRootsFile = _web.RootFile } },
    };

    /// <summary>
    /// Starts a.test (fetching b.test over https_web) and b.test (fetching a.test over https_spiffe from a.test's mTLS
    /// port, with a.test's bundle handed over out of band), and drives both fetches until each side has the other's bundle.
    /// </summary>
    private async Task<Pair> StartPairAsync()
    {
        int bWebPort = CompositionHost.FreePort();
        var a = await FederatedService.StartAsync(_a, OrdersId, _web, Federate(new Uri($"https://127.0.0.1:{bWebPort}/bundle")));
        string initial = _web.FilePath("a.test.json");
        await File.WriteAllTextAsync(initial, new SpiffeBundle(_a.TrustDomain, [_a.Root], [], 1).ToJson());
        var b = await FederatedService.StartAsync(
            _b,
            InventoryId,
            _web,
            new Dictionary<string, string?>
            {
                ["Spiffe:Federation:TrustDomains:0:TrustDomain"] = "a.test",
                ["Spiffe:Federation:TrustDomains:0:BundleEndpointUrl"] = a.SpiffeBundleUrl.ToString(),
                ["Spiffe:Federation:TrustDomains:0:Profile"] = "HttpsSpiffe",
                ["Spiffe:Federation:TrustDomains:0:EndpointSpiffeId"] = OrdersId,
                ["Spiffe:Federation:TrustDomains:0:InitialBundleFile"] = initial,
                ["Spiffe:Authorization:Rules:0:Name"] = "a-test-reads",
                ["Spiffe:Authorization:Rules:0:Action"] = "Allow",
                ["Spiffe:Authorization:Rules:0:Principals:0"] = "spiffe://a.test/**",
                ["Spiffe:Authorization:Rules:0:Paths:0"] = "/api/*",
                ["Spiffe:Authorization:Rules:1:Name"] = "bundle",
                ["Spiffe:Authorization:Rules:1:Action"] = "Allow",
                ["Spiffe:Authorization:Rules:1:Paths:0"] = "/bundle",
            },
            bWebPort,
            map: app =>
            {
                app.MapGet("/api/from-a", () => "from a").RequireTrustDomain("a.test");
                app.MapGet("/api/orders-only", () => "orders").RequireSpiffeIdMatching("spiffe://a.test/ns/*/sa/orders");
                app.MapGet("/admin/hello", () => "admin");
            });

        // a.test's first fetch ran before b.test was up; b.test's before a.test trusted b.test. Each retries.
        var aFetched = await FederationWait.NextAttemptAsync(a.Federation!, a.Time);
        Assert.Null(aFetched.LastError);
        var bFetched = await FederationWait.UntilAsync(b.Federation!, s => s.NextAttempt is not null);
        if (bFetched.LastError is not null)
        {
            bFetched = await FederationWait.NextAttemptAsync(b.Federation!, b.Time);
        }

        Assert.Null(bFetched.LastError);
        Assert.NotNull(bFetched.LastSuccess);
        return new Pair(a, b);
    }

    private sealed record Pair(FederatedService A, FederatedService B) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await B.DisposeAsync();
            await A.DisposeAsync();
        }
    }
}
