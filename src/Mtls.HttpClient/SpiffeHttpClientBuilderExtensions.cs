using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Mtls.Authorization;
using Mtls.Hosting;
using Mtls.Sources;
using Mtls.Telemetry;
using Mtls.Tls;

namespace Mtls.Http;

/// <summary>
/// Turns a named <see cref="System.Net.Http.HttpClient"/> or a gRPC client (<c>AddGrpcClient&lt;T&gt;()</c> returns the
/// same builder) into a SPIFFE mTLS client:
/// <code>
/// services.AddHttpClient("orders").AddSpiffeMtls(authorize: Authorizer.Id("spiffe://example.org/orders"));
/// services.AddGrpcClient&lt;Orders.OrdersClient&gt;(o => o.Address = new("https://orders:8443"))
///     .AddSpiffeMtls(Authorizer.MemberOf("example.org"));
/// </code>
/// </summary>
public static class SpiffeHttpClientBuilderExtensions
{
    /// <summary>
    /// Every connection of the client presents the current SVID of the container's <see cref="IX509Source"/> (added with
    /// <c>AddSpiffeX509Source()</c> when missing, so it is the one a server part of the same app uses) and accepts only servers <paramref name="authorize"/> allows, after verifying their SVID against
    /// the bundle of their trust domain. Host names are not checked: the SPIFFE ID is the server's identity.
    /// </summary>
    /// <param name="builder">The client's builder.</param>
    /// <param name="authorize">Who the server must be, e.g. <c>Authorizer.Id("spiffe://example.org/orders")</c>.</param>
    /// <param name="configure">Connection settings (pooled connection lifetime, connect timeout).</param>
    public static IHttpClientBuilder AddSpiffeMtls(this IHttpClientBuilder builder, Authorizer authorize, Action<SpiffeHttpClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);

        // The same source, and so the same SVID choice, as a server part in the same app; a client-only worker gets
        // its source and startup wait from here.
        builder.Services.AddSpiffeX509Source();
        return AddSpiffeMtls(builder, static services => services.GetRequiredService<IX509Source>(), authorize, configure);
    }

    /// <summary>Like <see cref="AddSpiffeMtls(IHttpClientBuilder, Authorizer, Action{SpiffeHttpClientOptions}?)"/>, with the source chosen by <paramref name="source"/>.</summary>
    /// <param name="builder">The client's builder.</param>
    /// <param name="source">Picks the X.509 source (called once per container).</param>
    /// <param name="authorize">Who the server must be.</param>
    /// <param name="configure">Connection settings.</param>
    public static IHttpClientBuilder AddSpiffeMtls(this IHttpClientBuilder builder, Func<IServiceProvider, IX509Source> source, Authorizer authorize, Action<SpiffeHttpClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(authorize);
        string name = builder.Name;
        var services = builder.Services;

        var options = services.AddOptions<SpiffeHttpClientOptions>(name);
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SpiffeHttpClientOptions>, SpiffeHttpClientOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHttpMessageHandlerBuilderFilter, SpiffeHandlerBuilderFilter>());
        services.AddSingleton(new SpiffeClientRegistration(name));
        services.AddSpiffeTelemetryOptions();

        // One connector per client name and container: its TLS objects outlive the handlers the factory recycles.
        services.AddKeyedSingleton(name, (provider, _) =>
        {
            var loggerFactory = provider.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance;
            var time = provider.GetService<TimeProvider>() ?? TimeProvider.System;
            var tls = new SpiffeTlsClient(source(provider), authorize, new SpiffeTlsOptions { TimeProvider = time, LoggerFactory = loggerFactory });
            return new SpiffeConnector(tls, loggerFactory.CreateLogger<SpiffeConnector>(), time, provider.GetService<SpiffeIdLabels>());
        });

        builder.ConfigurePrimaryHttpMessageHandler(provider => provider.GetRequiredKeyedService<SpiffeConnector>(name)
            .CreateHandler(provider.GetRequiredService<IOptionsMonitor<SpiffeHttpClientOptions>>().Get(name)));
        return builder;
    }

    /// <summary>
    /// Every request of the client (an HttpClient, or a gRPC client from <c>AddGrpcClient&lt;T&gt;()</c>) carries this
    /// workload's JWT-SVID for <paramref name="audience"/> as <c>Authorization: Bearer</c>, taken from the container's
    /// <see cref="IJwtSvidSource"/> (added with <c>AddSpiffeJwtSource()</c> when missing: the Workload API), reused until
    /// part of its lifetime has passed and obtained anew before it expires. A request to an <c>http://</c> URI is refused
    /// before anything is sent (<see cref="SpiffeJwtPlaintextException"/>) unless <paramref name="configure"/> names its
    /// host (<see cref="SpiffeJwtClientOptions.AllowPlaintextHttpTo"/>). Combine with
    /// <see cref="AddSpiffeMtls(IHttpClientBuilder, Authorizer, Action{SpiffeHttpClientOptions}?)"/> or any TLS client.
    /// </summary>
    /// <param name="builder">The client's builder.</param>
    /// <param name="audience">The audience the server accepts, e.g. its SPIFFE ID or service name.</param>
    /// <param name="configure">Plaintext hosts and refresh.</param>
    public static IHttpClientBuilder AddSpiffeJwt(this IHttpClientBuilder builder, string audience, Action<SpiffeJwtClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(audience);
        var options = new SpiffeJwtClientOptions();
        configure?.Invoke(options);
        options.Validate();
        builder.Services.AddSpiffeJwtSource();

        // One cache per client name and container: the token outlives the handlers the factory recycles.
        string key = "SpiffeJwt:" + builder.Name;
        if (builder.Services.Any(d => d.IsKeyedService && Equals(d.ServiceKey, key)))
        {
            throw new InvalidOperationException($"AddSpiffeJwt was already called for the client '{builder.Name}': a request carries one JWT-SVID.");
        }

        builder.Services.AddKeyedSingleton(key, (provider, _) => new JwtSvidCache(
            provider.GetRequiredService<IJwtSvidSource>(), audience, options, provider.GetService<TimeProvider>()));
        return builder.AddHttpMessageHandler(provider => new SpiffeJwtHandler(provider.GetRequiredKeyedService<JwtSvidCache>(key)));
    }

    /// <summary>
    /// Opt-in resilience through Microsoft.Extensions.Http.Resilience's standard pipeline (rate limiter, total
    /// timeout, retry with exponential backoff and jitter, circuit breaker, attempt timeout), with retry and
    /// circuit breaker limited to <see cref="SpiffeRetryPredicates.IsTransient"/>: a refused server or any other TLS
    /// failure is never retried and never counts against the breaker. For gRPC prefer the channel's own retry
    /// policy: this pipeline only sees transport failures of gRPC calls.
    /// </summary>
    /// <param name="builder">The client's builder (call <see cref="AddSpiffeMtls(IHttpClientBuilder, Authorizer, Action{SpiffeHttpClientOptions}?)"/> too).</param>
    /// <param name="configure">Adjusts the standard options (delays, attempts, timeouts) after the SPIFFE predicates are set.</param>
    public static IHttpStandardResiliencePipelineBuilder AddSpiffeResilience(this IHttpClientBuilder builder, Action<HttpStandardResilienceOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddStandardResilienceHandler(options =>
        {
            options.Retry.ShouldHandle = static args => ValueTask.FromResult(SpiffeRetryPredicates.IsTransient(args.Outcome));
            options.CircuitBreaker.ShouldHandle = static args => ValueTask.FromResult(SpiffeRetryPredicates.IsTransient(args.Outcome));
            configure?.Invoke(options);
        });
    }
}
