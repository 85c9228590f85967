using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Mtls.Authorization;
using Mtls.Bundles;
using Mtls.Http.Tests.Protos;
using Mtls.Http.Tests.Servers;
using Mtls.Identity;
using Mtls.Jwt;
using Mtls.Sources;
using Mtls.Testing.Jwt;
using Mtls.Testing.WorkloadApi;

namespace Mtls.Http.Tests;

/// <summary>Clients that send this workload's JWT-SVID: HttpClient and gRPC, cached, refreshed, never in clear.</summary>
public sealed class JwtClientTests : IDisposable
{
    private const string Audience = "orders";

    private readonly TestPki _pki = new();
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly TestJwtIssuer _issuer;
    private readonly CountingJwtSource _jwt;

    public JwtClientTests()
    {
        _issuer = TestJwtIssuer.Create("example.org", time: _time);
        _jwt = new CountingJwtSource(_issuer);
    }

    [Fact]
    public async Task Http_client_sends_the_jwt_svid_for_its_audience_over_mtls()
    {
        using var source = _pki.ClientSource();
        await using var server = await KestrelTestServer.StartAsync(_pki.Issue(TestPki.OrdersId), _pki.Bundles);
        await using var services = Services(source, b => b.AddSpiffeJwt(Audience));

        string header = await Client(services, server.BaseAddress).GetStringAsync(new Uri("authorization", UriKind.Relative));

        Assert.StartsWith("Bearer ", header, StringComparison.Ordinal);
        var svid = Validate(header);
        Assert.Equal(TestPki.ClientId, svid.Id.ToString());
    }

    [Fact]
    public async Task Token_is_reused_until_half_its_lifetime_and_refreshed_before_it_expires()
    {
        using var source = _pki.ClientSource();
        await using var server = await KestrelTestServer.StartAsync(_pki.Issue(TestPki.OrdersId), _pki.Bundles);
        await using var services = Services(source, b => b.AddSpiffeJwt(Audience));
        var client = Client(services, server.BaseAddress);
        var path = new Uri("authorization", UriKind.Relative);

        string first = await client.GetStringAsync(path);
        _time.Advance(TimeSpan.FromMinutes(2));
        string reused = await client.GetStringAsync(path);
        _time.Advance(TimeSpan.FromMinutes(1));
        string refreshed = await client.GetStringAsync(path);

        Assert.Equal(first, reused);
        Assert.NotEqual(first, refreshed);
        Assert.Equal(2, _jwt.Fetches);
        Assert.True(Validate(refreshed).Expiry > _time.GetUtcNow().AddMinutes(4));
    }

    [Fact]
    public async Task Plaintext_http_is_refused_before_anything_is_sent()
    {
        await using var server = await PlainHttpServer.StartAsync();
        var services = new ServiceCollection();
        services.AddSingleton<IJwtSvidSource>(_jwt);
        services.AddHttpClient("orders").AddSpiffeJwt(Audience);
        await using var provider = services.BuildServiceProvider();

        var error = await Assert.ThrowsAsync<SpiffeJwtPlaintextException>(() =>
            Client(provider, server.BaseAddress).GetStringAsync(new Uri("authorization", UriKind.Relative)));

        Assert.Contains("AllowPlaintextHttpTo", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, server.Connections);
        Assert.Equal(0, _jwt.Fetches);
    }

    [Fact]
    public async Task Plaintext_http_to_a_host_the_app_names_carries_the_token()
    {
        await using var server = await PlainHttpServer.StartAsync();
        var services = new ServiceCollection();
        services.AddSingleton<IJwtSvidSource>(_jwt);
        services.AddHttpClient("sidecar").AddSpiffeJwt(Audience, o => o.AllowPlaintextHttpTo("127.0.0.1"));
        await using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<IHttpClientFactory>().CreateClient("sidecar");

        string header = await client.GetStringAsync(new Uri(server.BaseAddress, "authorization"));
        var refused = await Assert.ThrowsAsync<SpiffeJwtPlaintextException>(() => client.GetStringAsync(new Uri($"http://localhost:{server.BaseAddress.Port}/authorization")));

        Assert.Equal(TestPki.ClientId, Validate(header).Id.ToString());
        Assert.Contains("localhost", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Request_with_its_own_authorization_header_is_refused_not_overwritten()
    {
        using var source = _pki.ClientSource();
        await using var server = await KestrelTestServer.StartAsync(_pki.Issue(TestPki.OrdersId), _pki.Bundles);
        await using var services = Services(source, b => b.AddSpiffeJwt(Audience));
        using var request = new HttpRequestMessage(HttpMethod.Get, "authorization");
        request.Headers.Authorization = new("Basic", "dXNlcjpwYXNz");

        await Assert.ThrowsAsync<InvalidOperationException>(() => Client(services, server.BaseAddress).SendAsync(request));

        Assert.Equal(0, server.Requests);
    }

    [Fact]
    public async Task Grpc_client_from_the_factory_sends_the_token_as_call_metadata()
    {
        using var source = _pki.ClientSource();
        await using var server = await KestrelTestServer.StartAsync(_pki.Issue(TestPki.OrdersId), _pki.Bundles);
        var services = new ServiceCollection();
        services.AddSingleton<IX509Source>(source);
        services.AddSingleton<IJwtSvidSource>(_jwt);
        services.AddGrpcClient<Echo.EchoClient>(o => o.Address = server.BaseAddress).AddSpiffeMtls(Authorizer.Id(TestPki.OrdersId)).AddSpiffeJwt(Audience);
        await using var provider = services.BuildServiceProvider();

        var reply = await provider.GetRequiredService<Echo.EchoClient>().PingAsync(new PingRequest { Text = "authorization" });

        Assert.Equal(TestPki.ClientId, Validate(reply.Text).Id.ToString());
    }

    [Fact]
    public async Task Grpc_call_credentials_send_the_token_over_tls_and_refuse_an_insecure_channel()
    {
        using var source = _pki.ClientSource();
        await using var server = await KestrelTestServer.StartAsync(_pki.Issue(TestPki.OrdersId), _pki.Bundles);
        await using var plain = await PlainHttpServer.StartAsync(http2Only: true);
        var credentials = SpiffeJwtCallCredentials.Create(_jwt, Audience, time: _time);
        using var secure = SpiffeGrpcChannel.ForAddress(server.BaseAddress.ToString(), source, Authorizer.Id(TestPki.OrdersId), new GrpcChannelOptions
        {
            Credentials = ChannelCredentials.Create(ChannelCredentials.SecureSsl, credentials),
        });
        using var insecure = GrpcChannel.ForAddress(plain.BaseAddress, new GrpcChannelOptions
        {
            Credentials = ChannelCredentials.Create(ChannelCredentials.Insecure, credentials),
            UnsafeUseInsecureChannelCallCredentials = true,
        });

        var reply = await new Echo.EchoClient(secure).PingAsync(new PingRequest { Text = "authorization" });
        var error = await Assert.ThrowsAsync<RpcException>(() => new Echo.EchoClient(insecure).PingAsync(new PingRequest { Text = "authorization" }).ResponseAsync);

        Assert.Equal(TestPki.ClientId, Validate(reply.Text).Id.ToString());
        Assert.IsType<SpiffeJwtPlaintextException>(error.Status.DebugException);
        Assert.Equal(0, plain.Connections);
    }

    [Fact]
    public async Task Jwt_svid_from_the_workload_api_is_sent_end_to_end()
    {
        using var issuer = TestJwtIssuer.Create("example.org");
        await using var agent = new WorkloadApiServer();
        agent.AddTrustDomain(_pki.Ca);
        agent.AddJwtIssuer(issuer);
        agent.SetIdentities(TestPki.ClientId);
        await agent.StartAsync();
        using var source = _pki.ClientSource();
        await using var server = await KestrelTestServer.StartAsync(_pki.Issue(TestPki.OrdersId), _pki.Bundles);
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Spiffe:EndpointSocket"] = agent.Address }).Build());
        services.AddSingleton<IX509Source>(source);
        services.AddHttpClient("orders").AddSpiffeMtls(Authorizer.Id(TestPki.OrdersId)).AddSpiffeJwt(Audience);
        await using var provider = services.BuildServiceProvider();
        var client = Client(provider, server.BaseAddress);

        string first = await client.GetStringAsync(new Uri("authorization", UriKind.Relative));
        string second = await client.GetStringAsync(new Uri("authorization", UriKind.Relative));

        var svid = new JwtSvidValidator(new JwtBundleSet([issuer.Bundle])).Validate(first["Bearer ".Length..], Audience);
        Assert.Equal(TestPki.ClientId, svid.Id.ToString());
        Assert.Equal(first, second);
        Assert.Equal(1, agent.JwtSvidFetches);
    }

    public void Dispose()
    {
        _issuer.Dispose();
        _pki.Dispose();
    }

    private JwtSvid Validate(string header) =>
        new JwtSvidValidator(new JwtBundleSet([_issuer.Bundle]), _time).Validate(header["Bearer ".Length..], Audience);

    private ServiceProvider Services(IX509Source source, Action<IHttpClientBuilder> configure)
    {
        var services = new ServiceCollection();
        services.AddSingleton(source);
        services.AddSingleton<IJwtSvidSource>(_jwt);
        services.AddSingleton<TimeProvider>(_time);
        configure(services.AddHttpClient("orders").AddSpiffeMtls(Authorizer.Id(TestPki.OrdersId)));
        return services.BuildServiceProvider();
    }

    private static System.Net.Http.HttpClient Client(IServiceProvider services, Uri baseAddress)
    {
        var client = services.GetRequiredService<IHttpClientFactory>().CreateClient("orders");
        client.BaseAddress = baseAddress;
        return client;
    }

    /// <summary>Mints a fresh 5-minute token for the client's ID on every fetch, and counts the fetches.</summary>
    private sealed class CountingJwtSource(TestJwtIssuer issuer) : IJwtSvidSource
    {
        private int _fetches;

        public int Fetches => Volatile.Read(ref _fetches);

        public Task<JwtSvid> GetJwtSvidAsync(IReadOnlyCollection<string> audiences, SpiffeId? subject = null, CancellationToken cancellationToken = default)
        {
            int fetch = Interlocked.Increment(ref _fetches);
            string token = issuer.IssueToken(TestPki.ClientId, [.. audiences], new JwtSvidSpec { ExtraClaims = new Dictionary<string, string> { ["fetch"] = fetch.ToString() } });
            return Task.FromResult(JwtSvid.ParseInsecure(token));
        }
    }
}
