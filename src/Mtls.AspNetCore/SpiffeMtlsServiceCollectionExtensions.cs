using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Mtls.AspNetCore.Authentication;
using Mtls.AspNetCore.Authorization;
using Mtls.AspNetCore.Federation;
using Mtls.AspNetCore.Inventory;
using Mtls.AspNetCore.Kestrel;
using Mtls.Hosting;

namespace Mtls.AspNetCore;

/// <summary>Registers SPIFFE mTLS for an ASP.NET Core server.</summary>
public static class SpiffeMtlsServiceCollectionExtensions
{
    /// <summary>
    /// The one-liner: <see cref="SpiffeX509SourceServiceCollectionExtensions.AddSpiffeX509Source(IServiceCollection, Action{SpiffeX509SourceOptions}?)"/>
    /// (the identity source and its startup wait), <see cref="AddSpiffeKestrel"/> (mTLS on every Kestrel endpoint,
    /// checked once bound; per-request connection checks; the rule set of <c>Spiffe:Authorization</c>), and
    /// <c>AddAuthentication().AddSpiffe()</c> with the SPIFFE authorization requirements. The verified peer is the
    /// user only for policies and endpoints that name the <c>Spiffe</c> scheme (the SPIFFE requirements do), unless
    /// the application makes it the default scheme. Calling it again only adds <paramref name="configure"/>.
    /// </summary>
    public static IServiceCollection AddSpiffeMtls(this IServiceCollection services, Action<SpiffeMtlsOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddSpiffeX509Source();
        services.AddSpiffeKestrel(configure);
        services.AddAuthentication().AddSpiffe();
        services.AddAuthorization();
        return services;
    }

    /// <summary>
    /// The Kestrel part: every endpoint speaks SPIFFE mTLS (or is exempt by port, see
    /// <see cref="SpiffeMtlsOptions.ExemptPort"/>), which is checked once the server has bound (an uncovered endpoint
    /// stops startup); every request re-checks its connection's peer and is refused unless its endpoint is covered;
    /// connections age out; the rule set of <c>Spiffe:Authorization</c> runs before routing. Binds
    /// <see cref="SpiffeMtlsOptions"/> from the <c>Spiffe</c> section, then applies <paramref name="configure"/>. Needs
    /// an identity source (<c>AddSpiffeX509Source</c>, which it adds when missing). Calling it again only adds
    /// <paramref name="configure"/>.
    /// </summary>
    public static IServiceCollection AddSpiffeKestrel(this IServiceCollection services, Action<SpiffeMtlsOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddSpiffeX509Source();
        if (!services.Any(d => d.ServiceType == typeof(SpiffeServerTls)))
        {
            // Configuration is bound before any delegate runs, so that code overrides it.
            services.AddOptions<SpiffeMtlsOptions>().BindConfiguration(SpiffeMtlsOptions.SectionName).ValidateOnStart();
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SpiffeMtlsOptions>, SpiffeMtlsOptionsValidator>());
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<SpiffeMtlsOptions>, FederatedTrustDomainsAdmission>());
            services.AddSingleton<SpiffeServerTls>();
            services.AddSingleton<SpiffeCallerInventory>();
            services.AddSingleton<SpiffeAccessPolicyMonitor>();
            services.AddSingleton<SpiffeAccessRules>();
            services.AddSingleton<SpiffeCallerInventoryRecorder>();
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfigureOptions<KestrelServerOptions>, SpiffeKestrelConfigurator>());
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, SpiffeEndpointCoverageCheck>());
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IStartupFilter, SpiffeConnectionStartupFilter>());
            services.TryAddEnumerable(ServiceDescriptor.Singleton<Microsoft.AspNetCore.Authorization.IAuthorizationHandler, SpiffePeerRequirementHandler>());
        }

        if (configure is not null)
        {
            services.Configure(configure);
        }

        return services;
    }
}
