using Mtls.Authorization;
using Mtls.X509;

namespace Mtls.Http.Tests.Interop;

public sealed class OpenSslInteropTests : IDisposable
{
    private readonly TestPki _pki = new();

    [Fact]
    public async Task Openssl_server_requiring_a_client_certificate_accepts_our_svid_chain()
    {
        using var source = _pki.ClientSource();
        using var server = await OpenSslTestServer.StartAsync(_pki.Ca.Issue(TestPki.OrdersId), _pki.Ca.CreateBundle());
        await using var services = InteropClient.Create(source, Authorizer.Id(TestPki.OrdersId));

        string page = await services.Client(server.BaseAddress).GetStringAsync("/");

        using var seen = OpenSslTestServer.ClientCertificateFrom(page);
        Assert.Equal(source.GetX509Svid()!.Certificate.Thumbprint, seen.Thumbprint);
    }

    [Fact]
    public async Task Refuses_openssl_server_with_another_id()
    {
        using var source = _pki.ClientSource();
        using var server = await OpenSslTestServer.StartAsync(_pki.Ca.Issue(TestPki.BillingId), _pki.Ca.CreateBundle());
        await using var services = InteropClient.Create(source, Authorizer.Id(TestPki.OrdersId));

        var error = await Assert.ThrowsAsync<SpiffeAuthorizationException>(() => services.Client(server.BaseAddress).GetStringAsync("/"));

        Assert.Equal(TestPki.BillingId, error.ServerId?.ToString());
        Assert.Equal($"id is {TestPki.OrdersId}", error.Rule);
    }

    [Fact]
    public async Task Refuses_openssl_server_from_untrusted_trust_domain()
    {
        using var source = _pki.ClientSource();
        using var server = await OpenSslTestServer.StartAsync(_pki.Other.Issue("spiffe://other.org/orders"), _pki.Ca.CreateBundle());
        await using var services = InteropClient.Create(source, Authorizer.Any());

        var error = await Assert.ThrowsAsync<SpiffeAuthorizationException>(() => services.Client(server.BaseAddress).GetStringAsync("/"));

        Assert.Equal(X509SvidRule.UntrustedTrustDomain, error.SvidRule);
    }

    [Fact]
    public async Task Openssl_server_sees_the_rotated_svid_on_the_next_connection()
    {
        using var source = _pki.ClientSource();
        using var server = await OpenSslTestServer.StartAsync(_pki.Ca.Issue(TestPki.OrdersId), _pki.Ca.CreateBundle());
        await using var services = InteropClient.Create(source, Authorizer.Id(TestPki.OrdersId));
        var client = services.Client(server.BaseAddress);

        using var first = OpenSslTestServer.ClientCertificateFrom(await client.GetStringAsync("/"));
        var rotated = _pki.Issue(TestPki.ClientId);
        source.Update(rotated, _pki.Bundles);
        using var second = OpenSslTestServer.ClientCertificateFrom(await client.GetStringAsync("/"));

        Assert.NotEqual(first.SerialNumber, second.SerialNumber);
        Assert.Equal(rotated.Certificate.SerialNumber, second.SerialNumber);
    }

    public void Dispose() => _pki.Dispose();
}
