using System.Net;
using System.Net.Http.Json;
using Gateway;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Mtls.AspNetCore.Tests.Infrastructure;
using Mtls.Authorization;
using Mtls.Bundles;
using Mtls.Http;
using Mtls.Sources;
using Mtls.Testing.Certificates;

namespace Mtls.Samples.Tests.Gateway;

/// <summary>
/// The gateway sample end to end on loopback: callers with SVIDs, the YARP gateway and real Kestrel backends, every
/// hop SPIFFE mTLS.
/// </summary>
public sealed class GatewayTests(GatewayMesh mesh) : IClassFixture<GatewayMesh>
{
    [Fact]
    public async Task Allowed_caller_reaches_the_backend_which_sees_the_gateway_as_peer_and_the_caller_in_the_header()
    {
        using var web = mesh.ClientAs(GatewayMesh.Web);

        var view = await web.GetFromJsonAsync<BackendView>(new Uri("/orders/1001", UriKind.Relative));

        Assert.Equal(new BackendView("orders", "/orders/1001", GatewayMesh.GatewayId, GatewayMesh.Web), view);
    }

    [Fact]
    public async Task Caller_header_sent_by_the_client_is_replaced_with_the_verified_caller()
    {
        using var web = mesh.ClientAs(GatewayMesh.Web);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/orders/1002", UriKind.Relative));
        request.Headers.Add(ForwardedCaller.HeaderName, "spiffe://example.org/admin");
        request.Headers.Add(ForwardedCaller.HeaderName.ToUpperInvariant(), "spiffe://example.org/root");

        using var response = await web.SendAsync(request);
        var view = await response.Content.ReadFromJsonAsync<BackendView>();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(GatewayMesh.Web, view!.Caller);
    }

    [Fact]
    public async Task Backend_refuses_a_direct_caller_so_only_the_gateway_can_set_the_caller_header()
    {
        using var source = new InMemoryX509Source(mesh.Ca.IssueSvid(GatewayMesh.Web), new X509BundleSet([mesh.Ca.CreateBundle()]));
        using var direct = new HttpClient(SpiffeHttpHandlerFactory.Create(source, Authorizer.Id(GatewayMesh.Orders))) { BaseAddress = mesh.OrdersUrl };
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/orders/1003", UriKind.Relative));
        request.Headers.Add(ForwardedCaller.HeaderName, GatewayMesh.Web);
        int before = mesh.OrdersRequests;

        using var response = await direct.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(before, mesh.OrdersRequests);
    }

    [Fact]
    public async Task Caller_denied_by_rule_gets_403_and_the_backend_is_not_called()
    {
        using var reports = mesh.ClientAs(GatewayMesh.Reports);
        int before = mesh.OrdersRequests;

        using var response = await reports.GetAsync(new Uri("/orders/1004", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(before, mesh.OrdersRequests);
        var denied = Assert.Single(mesh.GatewayLogs.WithEvent("SpiffeRuleDenied"), e => e["Route"] == "/orders/1004");
        Assert.Equal(GatewayMesh.Reports, denied["PeerSpiffeId"]);
        Assert.Equal("default-deny", denied["Rule"]);
    }

    [Fact]
    public async Task Deny_rule_stops_an_otherwise_allowed_caller_and_the_log_names_it()
    {
        using var web = mesh.ClientAs(GatewayMesh.Web);
        int before = mesh.OrdersRequests;

        using var response = await web.GetAsync(new Uri("/orders/admin/users", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(before, mesh.OrdersRequests);
        var denied = Assert.Single(mesh.GatewayLogs.WithEvent("SpiffeRuleDenied"), e => e["Route"] == "/orders/admin/users");
        Assert.Equal("no-admin", denied["Rule"]);
    }

    [Theory]
    [InlineData("/ORDERS/1005")]
    [InlineData("/%6Frders/1005")]
    [InlineData("//orders/1005")]
    [InlineData("/orders%2F1005")]
    [InlineData("/inventory/..%2Forders/1005")]
    public async Task A_denied_caller_cannot_reach_the_backend_by_respelling_the_path(string path)
    {
        using var reports = mesh.ClientAs(GatewayMesh.Reports);
        int before = mesh.OrdersRequests;

        using var response = await reports.GetAsync(new Uri(mesh.GatewayUrl.GetLeftPart(UriPartial.Authority) + path));

        Assert.Contains(response.StatusCode, new[] { HttpStatusCode.BadRequest, HttpStatusCode.Forbidden, HttpStatusCode.NotFound });
        Assert.Equal(before, mesh.OrdersRequests);
    }

    [Fact]
    public async Task Backend_with_the_wrong_spiffe_id_is_refused_with_502_and_never_receives_the_request()
    {
        using var web = mesh.ClientAs(GatewayMesh.Web);

        using var response = await web.GetAsync(new Uri("/inventory/42", UriKind.Relative));

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal(0, mesh.ImpostorRequests);
        var refused = Assert.Single(mesh.GatewayLogs.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("Refused server", StringComparison.Ordinal));
        Assert.Contains($"presented SPIFFE ID '{GatewayMesh.Impostor}'", refused.Message, StringComparison.Ordinal);
        Assert.Contains($"rule 'id is {GatewayMesh.Inventory}'", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Plaintext_client_cannot_reach_the_gateway()
    {
        using var plain = new HttpClient { Timeout = TimeSpan.FromSeconds(15) };
        int before = mesh.OrdersRequests;

        await Assert.ThrowsAsync<HttpRequestException>(() => plain.GetAsync(new Uri($"http://{mesh.GatewayUrl.Authority}/orders/1006")));

        Assert.Equal(before, mesh.OrdersRequests);
    }

    [Fact]
    public async Task Client_without_an_svid_is_refused_at_the_handshake()
    {
        // The attacker's client: trusts any server and presents no certificate.
        using var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = static (_, certificate, _, _) => certificate is not null;
        using var anonymous = new HttpClient(handler) { BaseAddress = mesh.GatewayUrl, Timeout = TimeSpan.FromSeconds(15) };
        int before = mesh.OrdersRequests;

        await Assert.ThrowsAsync<HttpRequestException>(() => anonymous.GetAsync(new Uri("/orders/1007", UriKind.Relative)));

        Assert.Equal(before, mesh.OrdersRequests);
    }

    [Fact]
    public async Task Client_with_the_allowed_path_from_another_trust_domain_is_refused_at_the_handshake()
    {
        using var foreignCa = TestCertificateAuthority.Create("evil.example");
        using var source = new InMemoryX509Source(foreignCa.IssueSvid("spiffe://evil.example/web"), new X509BundleSet([mesh.Ca.CreateBundle()]));
        using var foreign = new HttpClient(SpiffeHttpHandlerFactory.Create(source, Authorizer.Id(GatewayMesh.GatewayId))) { BaseAddress = mesh.GatewayUrl };
        int before = mesh.OrdersRequests;

        await Assert.ThrowsAsync<HttpRequestException>(() => foreign.GetAsync(new Uri("/orders/1008", UriKind.Relative)));

        Assert.Equal(before, mesh.OrdersRequests);
    }

    [Fact]
    public async Task Cluster_without_a_spiffe_id_stops_startup_naming_the_cluster()
    {
        var settings = GatewayMesh.GatewaySettings(mesh.GatewayAgent, mesh.OrdersUrl, mesh.ImpostorUrl);
        settings.Remove("ReverseProxy:Clusters:inventory:Metadata:SpiffeId");

        string error = await StartupErrorAsync(settings);

        Assert.Contains("cluster 'inventory' has no Metadata:SpiffeId", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cluster_with_a_malformed_spiffe_id_stops_startup_naming_the_cluster()
    {
        var settings = GatewayMesh.GatewaySettings(mesh.GatewayAgent, mesh.OrdersUrl, mesh.ImpostorUrl);
        settings["ReverseProxy:Clusters:orders:Metadata:SpiffeId"] = "orders.example.org";

        string error = await StartupErrorAsync(settings);

        Assert.Contains("cluster 'orders' has Metadata:SpiffeId 'orders.example.org', which is not a SPIFFE ID", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cluster_with_a_plain_http_destination_stops_startup_naming_the_cluster()
    {
        var settings = GatewayMesh.GatewaySettings(mesh.GatewayAgent, mesh.OrdersUrl, mesh.ImpostorUrl);
        settings["ReverseProxy:Clusters:orders:Destinations:a:Address"] = $"http://{mesh.OrdersUrl.Authority}/";

        string error = await StartupErrorAsync(settings);

        Assert.Contains("cluster 'orders' destination 'a'", error, StringComparison.Ordinal);
        Assert.Contains("destinations must be https", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cluster_that_would_accept_any_server_certificate_stops_startup()
    {
        var settings = GatewayMesh.GatewaySettings(mesh.GatewayAgent, mesh.OrdersUrl, mesh.ImpostorUrl);
        settings["ReverseProxy:Clusters:orders:HttpClient:DangerousAcceptAnyServerCertificate"] = "true";

        string error = await StartupErrorAsync(settings);

        Assert.Contains("cluster 'orders' sets HttpClient:DangerousAcceptAnyServerCertificate", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reload_that_drops_a_cluster_spiffe_id_is_refused_and_the_cluster_keeps_verifying_the_old_id()
    {
        using var logs = new TestLoggerProvider();
        var settings = GatewayMesh.GatewaySettings(mesh.GatewayAgent, mesh.OrdersUrl, mesh.ImpostorUrl);
        await using var gateway = GatewayServer.Build("https://127.0.0.1:0", settings, logging => logging.ClearProviders().AddProvider(logs));
        await gateway.StartAsync();
        using var web = mesh.ClientAs(GatewayMesh.Web);
        web.BaseAddress = new Uri(gateway.Urls.Single());

        // Points the orders cluster at the impostor and drops its ID: taken as is, it would forward to anyone.
        gateway.Configuration["ReverseProxy:Clusters:orders:Metadata:SpiffeId"] = null;
        gateway.Configuration["ReverseProxy:Clusters:orders:Destinations:a:Address"] = mesh.ImpostorUrl.ToString();
        ((IConfigurationRoot)gateway.Configuration).Reload();
        await logs.WaitUntilAsync(entries => entries.Any(e => e.Level == LogLevel.Error && e.Category.StartsWith("Yarp", StringComparison.Ordinal)), TimeSpan.FromSeconds(15));
        var view = await web.GetFromJsonAsync<BackendView>(new Uri("/orders/1009", UriKind.Relative));

        Assert.Equal("orders", view!.Backend);
        Assert.Equal(0, mesh.ImpostorRequests);
    }

    [Fact]
    public async Task Reload_that_changes_a_cluster_spiffe_id_applies_to_the_next_request_over_pooled_connections()
    {
        using var logs = new TestLoggerProvider();
        var settings = GatewayMesh.GatewaySettings(mesh.GatewayAgent, mesh.OrdersUrl, mesh.ImpostorUrl);
        await using var gateway = GatewayServer.Build("https://127.0.0.1:0", settings, logging => logging.ClearProviders().AddProvider(logs).SetMinimumLevel(LogLevel.Debug));
        await gateway.StartAsync();
        using var web = mesh.ClientAs(GatewayMesh.Web);
        web.BaseAddress = new Uri(gateway.Urls.Single());
        using var before = await web.GetAsync(new Uri("/orders/1010", UriKind.Relative));
        int applied = logs.WithEvent("ApplyProxyConfig").Count;

        gateway.Configuration["ReverseProxy:Clusters:orders:Metadata:SpiffeId"] = "spiffe://example.org/payments";
        ((IConfigurationRoot)gateway.Configuration).Reload();
        await logs.WaitUntilAsync(_ => logs.WithEvent("ApplyProxyConfig").Count > applied, TimeSpan.FromSeconds(15));
        int ordersRequests = mesh.OrdersRequests;
        using var after = await web.GetAsync(new Uri("/orders/1011", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        Assert.Equal(HttpStatusCode.BadGateway, after.StatusCode);
        Assert.Equal(ordersRequests, mesh.OrdersRequests);
    }

    [Fact]
    public void ConfigureHttpClient_after_AddSpiffeForwarding_is_refused_rather_than_replacing_the_mtls_factory()
    {
        var proxy = new ServiceCollection().AddReverseProxy().AddSpiffeForwarding();

        var error = Assert.Throws<InvalidOperationException>(() => proxy.ConfigureHttpClient((_, _) => { }));

        Assert.Contains("IForwarderHttpClientFactory", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Gateway_sample_shows_allowed_denied_and_refused_and_exits_zero()
    {
        var (exitCode, output) = await SampleProcess.RunAsync("Gateway", TimeSpan.FromSeconds(40));

        Assert.True(exitCode == 0, output);
        Assert.Contains("DEMO ONLY", output, StringComparison.Ordinal);
        Assert.DoesNotContain("FAIL", output, StringComparison.Ordinal);
        Assert.Contains("HTTP 200; orders verified its peer as spiffe://example.org/gateway and took the caller spiffe://example.org/web from the gateway", output, StringComparison.Ordinal);
        Assert.Contains("PASS  2. reports -> gateway -> orders: denied by the rule set", output, StringComparison.Ordinal);
        Assert.Contains("PASS  3. web -> gateway -> inventory: a backend with the wrong SPIFFE ID is refused", output, StringComparison.Ordinal);
        Assert.Contains("PASS  4. a client without an SVID cannot reach the gateway", output, StringComparison.Ordinal);
        Assert.Contains("All steps behaved as expected.", output, StringComparison.Ordinal);
    }

    /// <summary>Builds and starts a gateway that must not start; the messages of the exception and its inner exceptions.</summary>
    private static async Task<string> StartupErrorAsync(Dictionary<string, string?> settings)
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using var gateway = GatewayServer.Build("https://127.0.0.1:0", settings, logging => logging.ClearProviders());
            await gateway.StartAsync();
        });
        var messages = new List<string>();
        for (Exception? e = error; e is not null; e = e.InnerException)
        {
            messages.Add(e.Message);
        }

        if (error is AggregateException aggregate)
        {
            messages.AddRange(aggregate.Flatten().InnerExceptions.Select(e => e.Message));
        }

        return string.Join(" | ", messages);
    }
}
