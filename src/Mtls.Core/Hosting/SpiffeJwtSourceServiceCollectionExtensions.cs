using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Mtls.Sources;

namespace Mtls.Hosting;

/// <summary>Registers this workload's JWT source: the bundles that validate peers' JWT-SVIDs, and its own JWT-SVIDs.</summary>
public static class SpiffeJwtSourceServiceCollectionExtensions
{
    /// <summary>
    /// Registers the JWT source <see cref="SpiffeJwtSourceOptions"/> describes (the Workload API by default, or bundle
    /// files) as the container's <see cref="IJwtBundleSource"/> and, from the Workload API, <see cref="IJwtSvidSource"/>;
    /// and a hosted service that waits for the first bundles before the application's server starts. Binds
    /// <c>Spiffe:Jwt</c> (the address falls back to <c>Spiffe:EndpointSocket</c>), then applies
    /// <paramref name="configure"/>; validated at startup. Calling it again only adds <paramref name="configure"/>.
    /// An <see cref="IJwtBundleSource"/> or <see cref="IJwtSvidSource"/> the application registered itself wins.
    /// </summary>
    public static IServiceCollection AddSpiffeJwtSource(this IServiceCollection services, Action<SpiffeJwtSourceOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (!services.Any(d => d.ServiceType == typeof(SpiffeJwtSourceMarker)))
        {
            services.AddSingleton<SpiffeJwtSourceMarker>();
            services.AddOptions<SpiffeJwtSourceOptions>()
                .BindConfiguration(SpiffeJwtSourceOptions.SectionName)
                .Configure<IConfiguration>(static (options, configuration) =>
                    options.EndpointSocket ??= configuration[$"{SpiffeX509SourceOptions.SectionName}:EndpointSocket"])
                .ValidateOnStart();
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SpiffeJwtSourceOptions>, SpiffeJwtSourceFactory>());
            services.TryAddSingleton(TimeProvider.System);
            services.TryAddSingleton(static provider => new OwnedSource<IJwtBundleSource>(SpiffeJwtSourceFactory.Create(provider)));
            services.TryAddSingleton(static provider => provider.GetRequiredService<OwnedSource<IJwtBundleSource>>().Source);
            services.TryAddSingleton(SpiffeJwtSourceFactory.CreateSvidSource);
            services.AddHostedService<SpiffeJwtSourceStartup>();
        }

        if (configure is not null)
        {
            services.Configure(configure);
        }

        return services;
    }

    /// <summary>Marks the collection as already holding the JWT source's registrations.</summary>
    private sealed class SpiffeJwtSourceMarker;
}
