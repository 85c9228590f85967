using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;
using Mtls.AspNetCore.Tests.Grpc;
using Mtls.AspNetCore.Tests.Infrastructure;
using Mtls.Sources;
using Mtls.X509;

namespace Mtls.AspNetCore.Tests;

/// <summary>A gRPC service on the same mTLS endpoint, restricted with <c>.RequireSpiffeId(...)</c>.</summary>
public sealed class GrpcTests : IDisposable
{
    private readonly TestPki _pki = new();
    private readonly X509Svid _serverSvid;
    private readonly InMemoryX509Source _source;

    public GrpcTests()
    {
        _serverSvid = _pki.Ca.IssueSvid(TestPki.ServerId);
        _source = new InMemoryX509Source(_serverSvid, _pki.Bundles());
    }

    [Fact]
    public async Task Allowed_caller_is_served_and_the_service_sees_its_spiffe_id()
    {
        await using var server = await MtlsTestServer.StartAsync(_source);
        using var client = new TestClient(server.BaseAddress, TestPki.ToClientCertificate(_pki.Ca.Issue(TestPki.ClientId)), _pki.Bundles());
        using var channel = GrpcChannel.ForAddress(server.BaseAddress, new GrpcChannelOptions { HttpHandler = client.Handler, DisposeHttpClient = false });

        var reply = await new Echo.EchoClient(channel).WhoAmIAsync(new WhoAmIRequest());

        Assert.Equal(TestPki.ClientId, reply.SpiffeId);
        Assert.Equal(1, server.Invocations);
    }

    [Fact]
    public async Task Caller_with_another_id_gets_permission_denied_and_the_service_never_runs()
    {
        await using var server = await MtlsTestServer.StartAsync(_source);
        using var client = new TestClient(server.BaseAddress, TestPki.ToClientCertificate(_pki.Ca.Issue("spiffe://example.org/intruder")), _pki.Bundles());
        using var channel = GrpcChannel.ForAddress(server.BaseAddress, new GrpcChannelOptions { HttpHandler = client.Handler, DisposeHttpClient = false });

        var error = await Assert.ThrowsAsync<RpcException>(async () => await new Echo.EchoClient(channel).WhoAmIAsync(new WhoAmIRequest()));

        Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);
        Assert.Equal(0, server.Invocations);
    }

    [Fact]
    public async Task Caller_with_another_id_is_denied_in_an_app_whose_default_scheme_is_jwt_bearer()
    {
        await using var server = await MtlsTestServer.StartAsync(
            _source,
            configureBuilder: builder => builder.Services
                .AddAuthentication(Microsoft.AspNetCore.Authentication.JwtBearer.JwtBearerDefaults.AuthenticationScheme)
                .AddJwtBearer());
        using var intruder = new TestClient(server.BaseAddress, TestPki.ToClientCertificate(_pki.Ca.Issue("spiffe://example.org/intruder")), _pki.Bundles());
        using var allowed = new TestClient(server.BaseAddress, TestPki.ToClientCertificate(_pki.Ca.Issue(TestPki.ClientId)), _pki.Bundles());
        using var intruderChannel = GrpcChannel.ForAddress(server.BaseAddress, new GrpcChannelOptions { HttpHandler = intruder.Handler, DisposeHttpClient = false });
        using var allowedChannel = GrpcChannel.ForAddress(server.BaseAddress, new GrpcChannelOptions { HttpHandler = allowed.Handler, DisposeHttpClient = false });

        var error = await Assert.ThrowsAsync<RpcException>(async () => await new Echo.EchoClient(intruderChannel).WhoAmIAsync(new WhoAmIRequest()));
        Assert.Equal(0, server.Invocations);
        var reply = await new Echo.EchoClient(allowedChannel).WhoAmIAsync(new WhoAmIRequest());

        Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);
        Assert.Equal(TestPki.ClientId, reply.SpiffeId);
        Assert.Equal(1, server.Invocations);
    }

    public void Dispose()
    {
        _source.Dispose();
        _serverSvid.Dispose();
        _pki.Dispose();
    }
}
