using System.Net;
using System.Security.Authentication;
using Microsoft.Extensions.DependencyInjection;
using Mtls.Authorization;
using Mtls.Http.Tests.Servers;
using Polly;

namespace Mtls.Http.Tests;

public sealed class RetryPredicateTests : IDisposable
{
    private readonly TestPki _pki = new();

    [Theory]
    [InlineData(HttpRequestError.ConnectionError, true)]
    [InlineData(HttpRequestError.SecureConnectionError, false)]
    public void Retries_connection_errors_but_not_secure_connection_errors(HttpRequestError error, bool transient) =>
        Assert.Equal(transient, SpiffeRetryPredicates.IsTransient(Outcome.FromException<HttpResponseMessage>(new HttpRequestException(error, "failed"))));

    [Fact]
    public void Does_not_retry_a_refused_server_wrapped_in_a_connection_error()
    {
        var refused = new SpiffeAuthorizationException("refused", null, "any SPIFFE ID", X509.X509SvidRule.UntrustedTrustDomain);
        var wrapped = new HttpRequestException(HttpRequestError.ConnectionError, "connect failed", refused);

        Assert.False(SpiffeRetryPredicates.IsTransient(Outcome.FromException<HttpResponseMessage>(wrapped)));
    }

    [Fact]
    public void Does_not_retry_an_authentication_failure_wrapped_in_another_exception() =>
        Assert.False(SpiffeRetryPredicates.IsTransient(Outcome.FromException<HttpResponseMessage>(
            new HttpRequestException("failed", new IOException("io", new AuthenticationException("handshake"))))));

    [Fact]
    public void Retries_service_unavailable_responses()
    {
        using var response = new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);

        Assert.True(SpiffeRetryPredicates.IsTransient(Outcome.FromResult(response)));
    }

    [Fact]
    public async Task Standard_resilience_handler_added_by_the_application_does_not_retry_a_refused_server()
    {
        using var source = _pki.ClientSource();
        await using var server = await KestrelTestServer.StartAsync(_pki.Issue(TestPki.BillingId), _pki.Bundles);
        var services = new ServiceCollection();
        services.AddSingleton<Sources.IX509Source>(source);
        services.AddHttpClient("orders", c => c.BaseAddress = server.BaseAddress)
            .AddSpiffeMtls(Authorizer.Id(TestPki.OrdersId))
            .AddStandardResilienceHandler(o => o.Retry.Delay = TimeSpan.FromMilliseconds(1));
        await using var provider = services.BuildServiceProvider();

        await Assert.ThrowsAsync<SpiffeAuthorizationException>(() => provider.GetRequiredService<IHttpClientFactory>().CreateClient("orders").GetStringAsync("serial"));

        Assert.Equal(1, server.Connections);
    }

    public void Dispose() => _pki.Dispose();
}
