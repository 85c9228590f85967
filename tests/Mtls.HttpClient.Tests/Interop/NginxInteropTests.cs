using System.Net;
using Mtls.Authorization;
using Mtls.X509;

namespace Mtls.Http.Tests.Interop;

public sealed class NginxInteropTests : IDisposable
{
    private readonly TestPki _pki = new();

    [Fact]
    public async Task Nginx_with_ssl_verify_client_accepts_our_svid_chain()
    {
        using var source = _pki.ClientSource();
        using var server = await NginxTestServer.StartAsync(_pki.Ca.Issue(TestPki.OrdersId), _pki.Ca.CreateBundle());
        await using var services = InteropClient.Create(source, Authorizer.Id(TestPki.OrdersId));

        string serial = await services.Client(server.BaseAddress).GetStringAsync("/");

        Assert.Equal(InteropClient.NormalizeSerial(source.GetX509Svid()!.Certificate.SerialNumber), InteropClient.NormalizeSerial(serial));
    }

    [Fact]
    public async Task Nginx_serves_http2_over_spiffe_mtls()
    {
        using var source = _pki.ClientSource();
        using var server = await NginxTestServer.StartAsync(_pki.Ca.Issue(TestPki.OrdersId), _pki.Ca.CreateBundle());
        await using var services = InteropClient.Create(source, Authorizer.Id(TestPki.OrdersId));
        using var request = new HttpRequestMessage(HttpMethod.Get, "/") { Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact };

        using var response = await services.Client(server.BaseAddress).SendAsync(request);

        Assert.Equal(HttpVersion.Version20, response.Version);
        Assert.Equal(InteropClient.NormalizeSerial(source.GetX509Svid()!.Certificate.SerialNumber), InteropClient.NormalizeSerial(await response.Content.ReadAsStringAsync()));
    }

    [Fact]
    public async Task Refuses_nginx_with_another_id()
    {
        using var source = _pki.ClientSource();
        using var server = await NginxTestServer.StartAsync(_pki.Ca.Issue(TestPki.BillingId), _pki.Ca.CreateBundle());
        await using var services = InteropClient.Create(source, Authorizer.Id(TestPki.OrdersId));

        var error = await Assert.ThrowsAsync<SpiffeAuthorizationException>(() => services.Client(server.BaseAddress).GetStringAsync("/"));

        Assert.Equal(TestPki.BillingId, error.ServerId?.ToString());
        Assert.Equal($"id is {TestPki.OrdersId}", error.Rule);
    }

    [Fact]
    public async Task Refuses_nginx_from_untrusted_trust_domain()
    {
        using var source = _pki.ClientSource();
        using var server = await NginxTestServer.StartAsync(_pki.Other.Issue("spiffe://other.org/orders"), _pki.Ca.CreateBundle());
        await using var services = InteropClient.Create(source, Authorizer.Any());

        var error = await Assert.ThrowsAsync<SpiffeAuthorizationException>(() => services.Client(server.BaseAddress).GetStringAsync("/"));

        Assert.Equal(X509SvidRule.UntrustedTrustDomain, error.SvidRule);
    }

    [Fact]
    public async Task Nginx_sees_the_rotated_svid_on_the_next_connection()
    {
        using var source = _pki.ClientSource();
        using var server = await NginxTestServer.StartAsync(_pki.Ca.Issue(TestPki.OrdersId), _pki.Ca.CreateBundle());
        await using var services = InteropClient.Create(source, Authorizer.Id(TestPki.OrdersId));
        var client = services.Client(server.BaseAddress);

        string first = await client.GetStringAsync("/");
        var rotated = _pki.Issue(TestPki.ClientId);
        source.Update(rotated, _pki.Bundles);
        string second = await client.GetStringAsync("/");

        Assert.NotEqual(InteropClient.NormalizeSerial(first), InteropClient.NormalizeSerial(second));
        Assert.Equal(InteropClient.NormalizeSerial(rotated.Certificate.SerialNumber), InteropClient.NormalizeSerial(second));
    }

    public void Dispose() => _pki.Dispose();
}
