using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Mtls.Sources;

namespace Mtls.Hosting;

/// <summary>Registers this workload's X.509 identity source, for servers, clients and worker services alike.</summary>
public static class SpiffeX509SourceServiceCollectionExtensions
{
    /// <summary>
    /// Registers the <see cref="IX509Source"/> that <see cref="SpiffeX509SourceOptions"/> describes (the Workload API
    /// at <c>SPIFFE_ENDPOINT_SOCKET</c> by default, or files) as a singleton presenting the SVID the options choose
    /// (<c>SvidHint</c>, <c>TrustDomain</c>), the one servers, clients, the startup wait and health all read, with the
    /// bundles of the trust domains of <c>Spiffe:Federation</c> added (fetched from their bundle endpoints), and a hosted
    /// service that waits for its first SVID before the application's server starts (startup fails after <see cref="SpiffeX509SourceOptions.StartupTimeout"/>).
    /// Binds the <c>Spiffe</c> configuration section, then applies <paramref name="configure"/>; validated at
    /// startup. Calling it again only adds <paramref name="configure"/>. An <see cref="IX509Source"/> the
    /// application registers itself wins over the one described here, and is used as it chooses.
    /// </summary>
    public static IServiceCollection AddSpiffeX509Source(this IServiceCollection services, Action<SpiffeX509SourceOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (!services.Any(d => d.ServiceType == typeof(SpiffeX509SourceMarker)))
        {
            // Configuration is bound before any delegate runs, so that code overrides it.
            services.AddSingleton<SpiffeX509SourceMarker>();
            services.AddOptions<SpiffeX509SourceOptions>().BindConfiguration(SpiffeX509SourceOptions.SectionName).ValidateOnStart();
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SpiffeX509SourceOptions>, SpiffeX509SourceOptionsValidator>());
            services.TryAddSingleton(TimeProvider.System);
            services.TryAddSingleton(static provider => new OwnedSource<IX509Source>(SpiffeX509SourceFactory.Create(provider)));
            services.TryAddSingleton(SpiffeFederationHost.Create);
            services.TryAddSingleton(SpiffeX509SourceFactory.Choose);
            services.AddHostedService<SpiffeX509SourceStartup>();
            services.AddSpiffeTelemetryOptions();
        }

        if (configure is not null)
        {
            services.Configure(configure);
        }

        return services;
    }

    /// <summary>
    /// Registers <paramref name="source"/> (e.g. an <see cref="InMemoryX509Source"/>) as this workload's identity, in
    /// place of the Workload API or files, with the same startup wait. The service provider disposes it at shutdown.
    /// </summary>
    public static IServiceCollection AddSpiffeX509Source(this IServiceCollection services, IX509Source source, Action<SpiffeX509SourceOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(source);
        services.AddSpiffeX509Source(o =>
        {
            o.Source = SpiffeSourceKind.Custom;
            configure?.Invoke(o);
        });
        services.Replace(ServiceDescriptor.Singleton(_ => new OwnedSource<IX509Source>(source)));
        return services;
    }

    /// <summary>Marks the collection as already holding the source's registrations.</summary>
    private sealed class SpiffeX509SourceMarker;
}
