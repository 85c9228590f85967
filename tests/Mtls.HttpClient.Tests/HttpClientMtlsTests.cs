using System.Net;
using System.Security.Authentication;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Mtls.Authorization;
using Mtls.Http.Tests.Servers;
using Mtls.Sources;
using Mtls.X509;

namespace Mtls.Http.Tests;

public sealed class HttpClientMtlsTests : IDisposable
{
    private readonly TestPki _pki = new();

    [Fact]
    public async Task Calls_authorized_server_presenting_client_svid_with_its_intermediates()
    {
        using var source = _pki.ClientSource();
        await using var server = await KestrelTestServer.StartAsync(_pki.Issue(TestPki.OrdersId), _pki.Bundles);
        await using var services = Services(source, Authorizer.Id(TestPki.OrdersId));

        string serial = await Client(services, server).GetStringAsync("serial");

        Assert.Equal(source.GetX509Svid()!.Certificate.SerialNumber, serial);
        var handshake = Assert.Single(server.Handshakes);
        Assert.True(handshake.Verified, "the server could not build the client's chain from what it sent");
    }

    [Fact]
    public async Task Refuses_server_with_another_id_without_retrying()
    {
        using var source = _pki.ClientSource();
        await using var server = await KestrelTestServer.StartAsync(_pki.Issue(TestPki.BillingId), _pki.Bundles);
        await using var services = Services(source, Authorizer.Id(TestPki.OrdersId), builder => builder.AddSpiffeResilience(FastRetries));

        var error = await Assert.ThrowsAsync<SpiffeAuthorizationException>(() => Client(services, server).GetStringAsync("serial"));

        Assert.Equal(TestPki.BillingId, error.ServerId?.ToString());
        Assert.Equal($"id is {TestPki.OrdersId}", error.Rule);
        Assert.Null(error.SvidRule);
        Assert.Equal(1, server.Connections);
        Assert.Equal(0, server.Requests);
    }

    [Fact]
    public async Task Refuses_server_from_untrusted_trust_domain_without_retrying()
    {
        using var source = _pki.ClientSource();
        await using var server = await KestrelTestServer.StartAsync(_pki.IssueFromOther("spiffe://other.org/orders"), _pki.Bundles);
        await using var services = Services(source, Authorizer.Any(), builder => builder.AddSpiffeResilience(FastRetries));

        var error = await Assert.ThrowsAsync<SpiffeAuthorizationException>(() => Client(services, server).GetStringAsync("serial"));

        Assert.Equal(X509SvidRule.UntrustedTrustDomain, error.SvidRule);
        Assert.Null(error.ServerId);
        Assert.Equal(1, server.Connections);
    }

    [Fact]
    public async Task Refuses_server_claiming_our_trust_domain_with_a_chain_from_another_authority()
    {
        using var source = _pki.ClientSource();
        await using var server = await KestrelTestServer.StartAsync(_pki.IssueFromOther(TestPki.OrdersId), _pki.Bundles);
        await using var services = Services(source, Authorizer.Id(TestPki.OrdersId));

        var error = await Assert.ThrowsAsync<SpiffeAuthorizationException>(() => Client(services, server).GetStringAsync("serial"));

        Assert.Equal(X509SvidRule.ChainNotTrusted, error.SvidRule);
    }

    [Fact]
    public async Task Retries_transient_server_error_when_resilience_is_added()
    {
        using var source = _pki.ClientSource();
        await using var server = await KestrelTestServer.StartAsync(_pki.Issue(TestPki.OrdersId), _pki.Bundles, failFirstRequests: 1);
        await using var services = Services(source, Authorizer.Id(TestPki.OrdersId), builder => builder.AddSpiffeResilience(FastRetries));

        string serial = await Client(services, server).GetStringAsync("flaky");

        Assert.Equal(source.GetX509Svid()!.Certificate.SerialNumber, serial);
        Assert.Equal(2, server.Requests);
    }

    [Fact]
    public async Task New_connection_after_rotation_presents_the_new_svid()
    {
        using var source = _pki.ClientSource();
        await using var server = await KestrelTestServer.StartAsync(_pki.Issue(TestPki.OrdersId), _pki.Bundles, closeConnections: true);
        await using var services = Services(source, Authorizer.Id(TestPki.OrdersId));
        var client = Client(services, server);

        string first = await client.GetStringAsync("serial");
        var rotated = _pki.Issue(TestPki.ClientId);
        source.Update(rotated, _pki.Bundles);
        string second = await client.GetStringAsync("serial");

        Assert.NotEqual(first, second);
        Assert.Equal(rotated.Certificate.SerialNumber, second);
        Assert.Equal(2, server.Connections);
    }

    [Fact]
    public async Task Pooled_connection_keeps_the_svid_it_was_opened_with_within_its_lifetime()
    {
        using var source = _pki.ClientSource();
        var original = source.GetX509Svid()!.Certificate.SerialNumber;
        await using var server = await KestrelTestServer.StartAsync(_pki.Issue(TestPki.OrdersId), _pki.Bundles);
        await using var services = Services(source, Authorizer.Id(TestPki.OrdersId));
        var client = Client(services, server);

        await client.GetStringAsync("serial");
        source.Update(_pki.Issue(TestPki.ClientId), _pki.Bundles);
        string second = await client.GetStringAsync("serial");

        Assert.Equal(original, second);
        Assert.Equal(1, server.Connections);
    }

    [Fact]
    public async Task Zero_pooled_connection_lifetime_presents_the_current_svid_on_every_request()
    {
        using var source = _pki.ClientSource();
        await using var server = await KestrelTestServer.StartAsync(_pki.Issue(TestPki.OrdersId), _pki.Bundles);
        await using var services = Services(source, Authorizer.Id(TestPki.OrdersId), configure: o => o.PooledConnectionLifetime = TimeSpan.Zero);
        var client = Client(services, server);

        await client.GetStringAsync("serial");
        var rotated = _pki.Issue(TestPki.ClientId);
        source.Update(rotated, _pki.Bundles);
        string second = await client.GetStringAsync("serial");

        Assert.Equal(rotated.Certificate.SerialNumber, second);
        Assert.Equal(2, server.Connections);
    }

    [Fact]
    public async Task Negotiates_http2_over_mtls_when_the_request_asks_for_it()
    {
        using var source = _pki.ClientSource();
        await using var server = await KestrelTestServer.StartAsync(_pki.Issue(TestPki.OrdersId), _pki.Bundles);
        await using var services = Services(source, Authorizer.Id(TestPki.OrdersId));
        using var request = new HttpRequestMessage(HttpMethod.Get, "serial") { Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact };

        using var response = await Client(services, server).SendAsync(request);

        Assert.Equal(HttpVersion.Version20, response.Version);
        Assert.Equal(source.GetX509Svid()!.Certificate.SerialNumber, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Refuses_plain_http_request_before_connecting()
    {
        using var source = _pki.ClientSource();
        await using var server = await KestrelTestServer.StartAsync(_pki.Issue(TestPki.OrdersId), _pki.Bundles);
        await using var services = Services(source, Authorizer.Id(TestPki.OrdersId));
        var client = services.GetRequiredService<IHttpClientFactory>().CreateClient("orders");
        var plain = new UriBuilder(server.BaseAddress) { Scheme = Uri.UriSchemeHttp, Path = "serial" }.Uri;

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetStringAsync(plain));

        Assert.Equal(HttpRequestError.SecureConnectionError, error.HttpRequestError);
        Assert.Contains("plain-text", Assert.IsType<AuthenticationException>(error.InnerException).Message, StringComparison.Ordinal);
        Assert.Equal(0, server.Connections);
    }

    [Fact]
    public async Task Fails_connection_while_the_source_has_no_svid()
    {
        using var source = new InMemoryX509Source();
        await using var server = await KestrelTestServer.StartAsync(_pki.Issue(TestPki.OrdersId), _pki.Bundles);
        await using var services = Services(source, Authorizer.Id(TestPki.OrdersId));

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => Client(services, server).GetStringAsync("serial"));

        Assert.Contains("no SVID", Assert.IsType<InvalidOperationException>(error.InnerException).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Plain_factory_handler_calls_authorized_server_and_refuses_others_with_typed_exception()
    {
        using var source = _pki.ClientSource();
        await using var orders = await KestrelTestServer.StartAsync(_pki.Issue(TestPki.OrdersId), _pki.Bundles);
        await using var billing = await KestrelTestServer.StartAsync(_pki.Issue(TestPki.BillingId), _pki.Bundles);
        using var client = new System.Net.Http.HttpClient(SpiffeHttpHandlerFactory.Create(source, Authorizer.Id(TestPki.OrdersId)));

        string serial = await client.GetStringAsync(new Uri(orders.BaseAddress, "serial"));
        var error = await Assert.ThrowsAsync<SpiffeAuthorizationException>(() => client.GetStringAsync(new Uri(billing.BaseAddress, "serial")));

        Assert.Equal(source.GetX509Svid()!.Certificate.SerialNumber, serial);
        Assert.Equal(TestPki.BillingId, error.ServerId?.ToString());
    }

    [Fact]
    public async Task Rejects_unbounded_pooled_connection_lifetime_at_startup()
    {
        using var source = _pki.ClientSource();
        await using var services = Services(source, Authorizer.Any(), configure: o => o.PooledConnectionLifetime = Timeout.InfiniteTimeSpan);

        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptionsMonitor<SpiffeHttpClientOptions>>().Get("orders"));

        Assert.Contains(nameof(SpiffeHttpClientOptions.PooledConnectionLifetime), error.Message, StringComparison.Ordinal);
    }

    public void Dispose() => _pki.Dispose();

    private static void FastRetries(Microsoft.Extensions.Http.Resilience.HttpStandardResilienceOptions options) =>
        options.Retry.Delay = TimeSpan.FromMilliseconds(1);

    private static ServiceProvider Services(IX509Source source, Authorizer authorizer, Action<IHttpClientBuilder>? extra = null, Action<SpiffeHttpClientOptions>? configure = null)
    {
        var services = new ServiceCollection();
        services.AddSingleton(source);
        var builder = services.AddHttpClient("orders").AddSpiffeMtls(authorizer, configure);
        extra?.Invoke(builder);
        return services.BuildServiceProvider();
    }

    private static System.Net.Http.HttpClient Client(IServiceProvider services, KestrelTestServer server)
    {
        var client = services.GetRequiredService<IHttpClientFactory>().CreateClient("orders");
        client.BaseAddress = server.BaseAddress;
        return client;
    }
}
