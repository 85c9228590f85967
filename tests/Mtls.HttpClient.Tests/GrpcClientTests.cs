using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Mtls.Authorization;
using Mtls.Http.Tests.Protos;
using Mtls.Http.Tests.Servers;
using Mtls.Sources;

namespace Mtls.Http.Tests;

public sealed class GrpcClientTests : IDisposable
{
    private readonly TestPki _pki = new();

    [Fact]
    public async Task Grpc_client_from_the_factory_calls_authorized_server_over_mtls()
    {
        using var source = _pki.ClientSource();
        await using var server = await KestrelTestServer.StartAsync(_pki.Issue(TestPki.OrdersId), _pki.Bundles);
        await using var services = GrpcServices(source, server, Authorizer.Id(TestPki.OrdersId));

        var reply = await services.GetRequiredService<Echo.EchoClient>().PingAsync(new PingRequest { Text = "hi" });

        Assert.Equal("hi", reply.Text);
        Assert.Equal(source.GetX509Svid()!.Certificate.SerialNumber, reply.ClientSerial);
    }

    [Fact]
    public async Task Grpc_client_from_the_factory_refuses_server_with_another_id()
    {
        using var source = _pki.ClientSource();
        await using var server = await KestrelTestServer.StartAsync(_pki.Issue(TestPki.BillingId), _pki.Bundles);
        await using var services = GrpcServices(source, server, Authorizer.Id(TestPki.OrdersId));

        var error = await Assert.ThrowsAsync<RpcException>(() => services.GetRequiredService<Echo.EchoClient>().PingAsync(new PingRequest()).ResponseAsync);

        var refused = Assert.IsType<SpiffeAuthorizationException>(error.Status.DebugException);
        Assert.Equal(TestPki.BillingId, refused.ServerId?.ToString());
        Assert.Equal(0, server.Requests);
    }

    [Fact]
    public async Task Grpc_channel_without_dependency_injection_calls_authorized_server_and_refuses_others()
    {
        using var source = _pki.ClientSource();
        await using var orders = await KestrelTestServer.StartAsync(_pki.Issue(TestPki.OrdersId), _pki.Bundles);
        await using var billing = await KestrelTestServer.StartAsync(_pki.Issue(TestPki.BillingId), _pki.Bundles);
        var authorizer = Authorizer.Id(TestPki.OrdersId);
        using var ordersChannel = SpiffeGrpcChannel.ForAddress(orders.BaseAddress.ToString(), source, authorizer);
        using var billingChannel = SpiffeGrpcChannel.ForAddress(billing.BaseAddress.ToString(), source, authorizer);

        var reply = await new Echo.EchoClient(ordersChannel).PingAsync(new PingRequest { Text = "hi" });
        var error = await Assert.ThrowsAsync<RpcException>(() => new Echo.EchoClient(billingChannel).PingAsync(new PingRequest()).ResponseAsync);

        Assert.Equal(source.GetX509Svid()!.Certificate.SerialNumber, reply.ClientSerial);
        Assert.IsType<SpiffeAuthorizationException>(error.Status.DebugException);
    }

    public void Dispose() => _pki.Dispose();

    private static ServiceProvider GrpcServices(IX509Source source, KestrelTestServer server, Authorizer authorizer)
    {
        var services = new ServiceCollection();
        services.AddSingleton(source);
        services.AddGrpcClient<Echo.EchoClient>(o => o.Address = server.BaseAddress).AddSpiffeMtls(authorizer);
        return services.BuildServiceProvider();
    }
}
