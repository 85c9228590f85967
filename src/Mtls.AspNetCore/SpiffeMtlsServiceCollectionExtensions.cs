using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Mtls.AspNetCore.Authentication;
using Mtls.AspNetCore.Authorization;
using Mtls.AspNetCore.Kestrel;
using Mtls.Sources;

namespace Mtls.AspNetCore;

/// <summary>Registers SPIFFE mTLS for an ASP.NET Core server.</summary>
public static class SpiffeMtlsServiceCollectionExtensions
{
    /// <summary>
    /// Makes Kestrel speak mTLS with this workload's X509-SVID and authorize peers by SPIFFE ID. Binds
    /// <see cref="SpiffeMtlsOptions"/> from the <c>Spiffe</c> configuration section, then applies
    /// <paramref name="configure"/>; validates them at startup; registers the identity source (the Workload API by
    /// default; an <see cref="IX509Source"/> registered by the application always wins) and waits for its first SVID
    /// before the server starts; applies mTLS to every Kestrel endpoint (see <see cref="SpiffeMtlsOptions.AllEndpoints"/>);
    /// adds the <c>Spiffe</c> authentication scheme (the challenge and forbid scheme unless another is set; the verified peer becomes the request's user), the SPIFFE
    /// authorization requirements, and the declarative rules of <c>Spiffe:Authorization</c> in front of the pipeline.
    /// </summary>
    public static IServiceCollection AddSpiffeMtls(this IServiceCollection services, Action<SpiffeMtlsOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var optionsBuilder = services.AddOptions<SpiffeMtlsOptions>().BindConfiguration(SpiffeMtlsOptions.SectionName).ValidateOnStart();
        if (configure is not null)
        {
            optionsBuilder.Configure(configure);
        }

        if (services.Any(d => d.ServiceType == typeof(SpiffeServerTls)))
        {
            return services;
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SpiffeMtlsOptions>, SpiffeMtlsOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IX509Source>(SpiffeSourceFactory.Create);
        services.AddSingleton<SpiffeServerTls>();
        services.AddHostedService<SpiffeSourceStartup>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfigureOptions<KestrelServerOptions>, SpiffeKestrelConfigurator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IStartupFilter, SpiffeAccessRulesStartupFilter>());

        services.AddAuthentication(o => o.AddScheme<SpiffeAuthenticationHandler>(SpiffeAuthenticationDefaults.AuthenticationScheme, displayName: null));
        services.TryAddTransient<SpiffeAuthenticationHandler>();
        services.PostConfigure<AuthenticationOptions>(o =>
        {
            // Not the default authenticate scheme: the first middleware already sets the verified peer as the user, so
            // requests skip a per-request authentication pass. Challenges and forbids still answer as Spiffe.
            o.DefaultChallengeScheme ??= o.DefaultScheme ?? SpiffeAuthenticationDefaults.AuthenticationScheme;
            o.DefaultForbidScheme ??= o.DefaultScheme ?? SpiffeAuthenticationDefaults.AuthenticationScheme;
        });
        services.AddAuthorization();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IAuthorizationHandler, SpiffePeerRequirementHandler>());
        return services;
    }
}
