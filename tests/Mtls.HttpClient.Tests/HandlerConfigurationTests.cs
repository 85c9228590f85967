using Mtls.Authorization;

namespace Mtls.Http.Tests;

public sealed class HandlerConfigurationTests : IDisposable
{
    private readonly TestPki _pki = new();

    [Fact]
    public void Handler_bypasses_proxies_and_bounds_connection_lifetime()
    {
        using var source = _pki.ClientSource();

        using var handler = SpiffeHttpHandlerFactory.CreateSocketsHttpHandler(source, Authorizer.Any(), new SpiffeHttpClientOptions { PooledConnectionLifetime = TimeSpan.FromSeconds(30) });

        Assert.False(handler.UseProxy);
        Assert.Equal(TimeSpan.FromSeconds(30), handler.PooledConnectionLifetime);
        Assert.NotNull(handler.ConnectCallback);
    }

    [Fact]
    public void Handler_fails_closed_for_tls_it_would_run_itself()
    {
        using var source = _pki.ClientSource();
        using var handler = SpiffeHttpHandlerFactory.CreateSocketsHttpHandler(source, Authorizer.Any());
        using var leaf = _pki.Ca.Issue(TestPki.OrdersId).LoadLeaf();

        bool accepted = handler.SslOptions.RemoteCertificateValidationCallback!(this, leaf, null, System.Net.Security.SslPolicyErrors.None);

        Assert.False(accepted);
    }

    public void Dispose() => _pki.Dispose();
}
