using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Mtls.Authorization;
using Mtls.Sources;
using Mtls.Tls;

namespace Mtls.Http;

/// <summary>
/// Handlers for code without dependency injection: <c>new HttpClient(SpiffeHttpHandlerFactory.Create(source,
/// Authorizer.Id("spiffe://example.org/orders")))</c>. With IHttpClientFactory use
/// <see cref="SpiffeHttpClientBuilderExtensions.AddSpiffeMtls(Microsoft.Extensions.DependencyInjection.IHttpClientBuilder, Authorizer, Action{SpiffeHttpClientOptions}?)"/>.
/// </summary>
public static class SpiffeHttpHandlerFactory
{
    /// <summary>
    /// A handler that presents <paramref name="source"/>'s current SVID on every new connection and accepts only
    /// servers <paramref name="authorizer"/> allows; a refused server surfaces as
    /// <see cref="SpiffeAuthorizationException"/>.
    /// </summary>
    public static HttpMessageHandler Create(IX509Source source, Authorizer authorizer, SpiffeHttpClientOptions? options = null, ILoggerFactory? loggerFactory = null) =>
        WithTelemetry(CreateSocketsHttpHandler(source, authorizer, options, loggerFactory));

    /// <summary>
    /// The bare <see cref="SocketsHttpHandler"/> of <see cref="Create"/>, for composing with your own handlers.
    /// A refused server then surfaces as an <see cref="HttpRequestException"/> whose inner exception is the
    /// <see cref="SpiffeAuthorizationException"/>.
    /// </summary>
    public static SocketsHttpHandler CreateSocketsHttpHandler(IX509Source source, Authorizer authorizer, SpiffeHttpClientOptions? options = null, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(authorizer);
        options ??= new SpiffeHttpClientOptions();
        SpiffeHttpClientOptionsValidator.ThrowIfInvalid(options);
        loggerFactory ??= NullLoggerFactory.Instance;
        var tls = new SpiffeTlsClient(source, authorizer, new SpiffeTlsOptions { LoggerFactory = loggerFactory });
        return new SpiffeConnector(tls, loggerFactory.CreateLogger<SpiffeConnector>()).CreateHandler(options);
    }

    /// <summary>The failure mapping outermost, then the identities of the carrying connection on each request's metric and span.</summary>
    private static SpiffeFailureHandler WithTelemetry(SocketsHttpHandler handler) =>
        new(SpiffeConnectionIdentities.Of(handler) is { } identities ? new SpiffeTelemetryHandler(identities, handler) : handler);
}
