using Microsoft.Extensions.DependencyInjection;
using Mtls.Authorization;
using Mtls.Http.Tests.Servers;
using Mtls.Sources;
using Mtls.Testing.WorkloadApi;
using Mtls.WorkloadApi;

namespace Mtls.Http.Tests;

/// <summary>Issue 11: the client presents the SVID its source chose, the same one a server would serve.</summary>
public sealed class SvidChoiceTests : IAsyncLifetime, IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly TestPki _pki = new();
    private readonly WorkloadApiServer _agent = new();

    public async Task InitializeAsync()
    {
        _agent.AddTrustDomain(_pki.Ca);
        _agent.SetIdentities(_ => [new WorkloadApiIdentity(TestPki.ClientId, "first"), new WorkloadApiIdentity("spiffe://example.org/second", "second")]);
        await _agent.StartAsync();
    }

    [Fact]
    public async Task Client_presents_the_svid_the_hint_chooses()
    {
        await using var source = await SourceAsync("second");
        await using var server = await KestrelTestServer.StartAsync(_pki.Issue(TestPki.OrdersId), _pki.Bundles);
        await using var services = Services(source);

        string serial = await Client(services, server).GetStringAsync("serial");

        var second = source.Current!.Svids[1];
        Assert.Equal("spiffe://example.org/second", second.Id.ToString());
        Assert.Equal(second.Certificate.SerialNumber, serial);
        Assert.Same(second, source.GetX509Svid());
    }

    [Fact]
    public async Task Client_presents_nothing_when_no_svid_carries_the_hint()
    {
        await using var source = await SourceAsync("missing");
        await using var server = await KestrelTestServer.StartAsync(_pki.Issue(TestPki.OrdersId), _pki.Bundles);
        using var handler = SpiffeHttpHandlerFactory.Create(source, Authorizer.Id(TestPki.OrdersId));
        using var client = new System.Net.Http.HttpClient(handler) { BaseAddress = server.BaseAddress };

        Assert.Null(source.GetX509Svid());
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => client.GetStringAsync("serial"));
        Assert.Empty(server.Handshakes);
        Assert.Equal(0, server.Requests);
    }

    public async Task DisposeAsync() => await _agent.DisposeAsync();

    public void Dispose() => _pki.Dispose();

    private Task<WorkloadApiX509Source> SourceAsync(string hint) => WorkloadApiX509Source.CreateAsync(new WorkloadApiX509SourceOptions
    {
        Address = _agent.Address,
        SvidHint = hint,
        InitialFetchTimeout = Timeout,
    });

    private static ServiceProvider Services(IX509Source source)
    {
        var services = new ServiceCollection();
        services.AddSingleton(source);
        services.AddHttpClient("orders").AddSpiffeMtls(Authorizer.Id(TestPki.OrdersId));
        return services.BuildServiceProvider();
    }

    private static System.Net.Http.HttpClient Client(IServiceProvider services, KestrelTestServer server)
    {
        var client = services.GetRequiredService<IHttpClientFactory>().CreateClient("orders");
        client.BaseAddress = server.BaseAddress;
        return client;
    }
}
