using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Mtls.AspNetCore.Authorization;
using Mtls.AspNetCore.Tests.Infrastructure;
using Mtls.Bundles;
using Mtls.Hosting;
using Mtls.Sources;
using Mtls.Testing.Certificates;

namespace Mtls.AspNetCore.Tests.Composition;

/// <summary>
/// A connection is only as good as the peer it verified: in each test an open keep-alive or HTTP/2 connection would
/// keep serving a peer the server would refuse today, if requests did not re-check it.
/// </summary>
public sealed class ConnectionAgingTests : IDisposable
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly TestCertificateAuthority _ca;
    private readonly TestCertificateAuthority _second;
    private readonly InMemoryX509Source _source;

    public ConnectionAgingTests()
    {
        _ca = TestCertificateAuthority.Create("example.org", time: _time);
        // A second CA of the same trust domain, as during a CA rotation: the bundle holds both roots.
        _second = TestCertificateAuthority.Create("example.org", time: _time);
        _source = new InMemoryX509Source(_ca.IssueSvid(TestPki.ServerId, TimeSpan.FromDays(1)), BothRoots());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Expired_client_on_an_open_connection_is_refused_and_disconnected(bool http2)
    {
        await using var host = await StartAsync();
        using var client = Client(host, _ca.Issue(TestPki.ClientId, new SvidSpec { Ttl = TimeSpan.FromMinutes(5) }), http2);
        Assert.Equal(HttpStatusCode.OK, (await client.Http.GetAsync("/work")).StatusCode);

        _time.Advance(TimeSpan.FromMinutes(6));
        var response = await client.Http.GetAsync("/work");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(1, host.Invocations);
        Assert.Single(client.ServerSerials);
        var closed = Assert.Single(host.Logs.WithEvent("SpiffePeerNoLongerValid"));
        Assert.Equal("Expired", closed["Reason"]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Client_whose_ca_left_the_bundle_is_refused_on_its_open_connection(bool http2)
    {
        await using var host = await StartAsync();
        using var client = Client(host, _second.Issue(TestPki.ClientId), http2);
        Assert.Equal(HttpStatusCode.OK, (await client.Http.GetAsync("/work")).StatusCode);

        _source.Update(_source.GetX509Svid(), new X509BundleSet([_ca.CreateBundle()]));
        var response = await client.Http.GetAsync("/work");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(1, host.Invocations);
        Assert.Equal("Revoked", Assert.Single(host.Logs.WithEvent("SpiffePeerNoLongerValid"))["Reason"]);
    }

    [Fact]
    public async Task Bundle_change_that_keeps_the_clients_ca_keeps_serving_the_connection()
    {
        await using var host = await StartAsync();
        using var client = Client(host, _ca.Issue(TestPki.ClientId), http2: false);
        Assert.Equal(HttpStatusCode.OK, (await client.Http.GetAsync("/work")).StatusCode);

        _source.Update(_source.GetX509Svid(), new X509BundleSet([_ca.CreateBundle()]));

        Assert.Equal(HttpStatusCode.OK, (await client.Http.GetAsync("/work")).StatusCode);
        Assert.Equal(2, host.Invocations);
        Assert.Single(client.ServerSerials);
    }

    [Fact]
    public async Task Connection_older_than_the_maximum_age_is_closed_after_its_request()
    {
        await using var host = await StartAsync(o => o.MaxConnectionAge = TimeSpan.FromMinutes(1));
        using var client = Client(host, _ca.Issue(TestPki.ClientId, new SvidSpec { Ttl = TimeSpan.FromHours(1) }), http2: false);
        Assert.Equal(HttpStatusCode.OK, (await client.Http.GetAsync("/work")).StatusCode);

        _time.Advance(TimeSpan.FromMinutes(2));
        var aged = await client.Http.GetAsync("/work");
        var next = await client.Http.GetAsync("/work");

        Assert.Equal(HttpStatusCode.OK, aged.StatusCode);
        Assert.True(aged.Headers.ConnectionClose);
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        Assert.Equal(2, client.ServerSerials.Count);
        Assert.Equal(3, host.Invocations);
    }

    public void Dispose()
    {
        _source.Dispose();
        _ca.Dispose();
        _second.Dispose();
    }

    private X509BundleSet BothRoots() => new([_ca.CreateBundle().WithAuthority(_second.CreateBundle().Authorities[0])]);

    private TestClient Client(CompositionHost host, IssuedSvid issued, bool http2)
    {
        var client = new TestClient(host.Address, TestPki.ToClientCertificate(issued), new X509BundleSet([_ca.CreateBundle()]));
        if (http2)
        {
            client.Http.DefaultRequestVersion = HttpVersion.Version20;
            client.Http.DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact;
        }

        return client;
    }

    private Task<CompositionHost> StartAsync(Action<SpiffeMtlsOptions>? configure = null) =>
        CompositionHost.StartAsync(
            builder =>
            {
                builder.WebHost.UseUrls("https://127.0.0.1:0");
                builder.Services.AddSingleton<TimeProvider>(_time);
                builder.Services.AddSpiffeX509Source(_source);
                builder.Services.AddSpiffeMtls(configure);
            },
            static (app, invocations) => app.MapGet("/work", () =>
            {
                invocations.Count();
                return "done";
            }).RequireTrustDomain("example.org"));
}
